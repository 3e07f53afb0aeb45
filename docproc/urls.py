"""Root URL map: the admin, the REST API, the health check, the audit console, the
compliance pages and the staff web UI.

The error handlers answer JSON under ``/api/`` (clients parse every error the same way) and
HTML pages everywhere else.
"""

from django.contrib import admin
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from docproc.api import errors, openapi
from docproc.api.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("docproc.api.urls")),
    # OpenAPI 3 and its docs pages (Swagger UI, Redoc), every asset served from our static files.
    path("api/schema/", openapi.SchemaView.as_view(), name="api-schema"),
    path("api/docs/", openapi.docs_page(SpectacularSwaggerSplitView), name="api-docs"),
    path("api/redoc/", openapi.docs_page(SpectacularRedocView), name="api-redoc"),
    path("healthz", healthz, name="healthz"),
    path("console/", include("docproc.console.urls")),
    path("compliance/", include("docproc.compliance.urls")),
    path("", include("docproc.web.urls")),
]


def handler400(request, exception=None):
    if errors.is_api_request(request):
        return errors.json_400(request, exception)
    return defaults.bad_request(request, exception)


def handler403(request, exception=None):
    if errors.is_api_request(request):
        return errors.json_403(request, exception)
    return defaults.permission_denied(request, exception)


def handler404(request, exception=None):
    if errors.is_api_request(request):
        return errors.json_404(request, exception)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if errors.is_api_request(request):
        return errors.json_500(request)
    return defaults.server_error(request)
