"""URL map of the REST API, mounted at ``/api/v1/`` (namespace ``api``)."""

from django.urls import path

from docproc.api import (
    hold_views,
    job_views,
    llm_views,
    matter_views,
    member_views,
    openapi,
    openapi_matters,
    screen_views,
    views,
)
from docproc.api.audit_views import AuditListView

app_name = "api"

# The request and response bodies of the views below, for /api/schema/.
openapi.describe()
openapi_matters.describe()

urlpatterns = [
    path("matters/", matter_views.MatterListView.as_view(), name="matter-list"),
    path("matters/<int:matter_id>/", matter_views.MatterDetailView.as_view(), name="matter-detail"),
    path(
        "matters/<int:matter_id>/close/",
        matter_views.MatterCloseView.as_view(),
        name="matter-close",
    ),
    path(
        "matters/<int:matter_id>/reopen/",
        matter_views.MatterReopenView.as_view(),
        name="matter-reopen",
    ),
    path(
        "matters/<int:matter_id>/members/",
        member_views.MatterMembersView.as_view(),
        name="matter-members",
    ),
    path(
        "matters/<int:matter_id>/members/<str:username>/",
        member_views.MatterMemberView.as_view(),
        name="matter-member",
    ),
    path("matters/<int:matter_id>/hold/", hold_views.MatterHoldView.as_view(), name="matter-hold"),
    path(
        "matters/<int:matter_id>/screens/",
        screen_views.MatterScreensView.as_view(),
        name="matter-screens",
    ),
    path("screens/<int:screen_id>/", screen_views.ScreenDetailView.as_view(), name="screen-detail"),
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
        "documents/<int:document_id>/hold/",
        hold_views.DocumentHoldView.as_view(),
        name="document-hold",
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
