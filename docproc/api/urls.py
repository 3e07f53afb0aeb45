"""URL map of the REST API, mounted at ``/api/v1/`` (namespace ``api``)."""

from django.urls import path

from docproc.api import job_views, llm_views, openapi, views
from docproc.api.audit_views import AuditListView

app_name = "api"

openapi.describe()  # the request and response bodies of the views below, for /api/schema/

urlpatterns = [
    path("matters/", views.MatterListView.as_view(), name="matter-list"),
    path("matters/<int:matter_id>/", views.MatterDetailView.as_view(), name="matter-detail"),
    path(
        "matters/<int:matter_id>/documents/",
        views.MatterDocumentsView.as_view(),
        name="matter-documents",
    ),
    path("matters/<int:matter_id>/search/", views.MatterSearchView.as_view(), name="matter-search"),
    path("matters/<int:matter_id>/ask/", llm_views.AskView.as_view(), name="matter-ask"),
    path(
        "documents/<int:document_id>/summary/",
        llm_views.SummaryView.as_view(),
        name="document-summary",
    ),
    path(
        "documents/<int:document_id>/extract/",
        llm_views.ExtractView.as_view(),
        name="document-extract",
    ),
    path(
        "documents/<int:document_id>/", views.DocumentDetailView.as_view(), name="document-detail"
    ),
    path(
        "documents/<int:document_id>/pages/<int:number>/",
        views.DocumentPageView.as_view(),
        name="document-page",
    ),
    path(
        "documents/<int:document_id>/chunks/",
        views.DocumentChunksView.as_view(),
        name="document-chunks",
    ),
    path(
        "documents/<int:document_id>/original/",
        views.DocumentOriginalView.as_view(),
        name="document-original",
    ),
    path(
        "documents/<int:document_id>/password/",
        views.DocumentPasswordView.as_view(),
        name="document-password",
    ),
    path(
        "documents/<int:document_id>/reprocess/",
        views.DocumentReprocessView.as_view(),
        name="document-reprocess",
    ),
    path("jobs/<uuid:job_id>/", job_views.JobDetailView.as_view(), name="job-detail"),
    path("audit/", AuditListView.as_view(), name="audit-list"),
]
