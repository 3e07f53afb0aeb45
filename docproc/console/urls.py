"""URL map of the audit console, mounted at ``/console/`` (namespace ``console``)."""

from django.urls import path

from docproc.console import views

app_name = "console"

urlpatterns = [
    path("", views.events, name="events"),
    path("events/<int:seq>/", views.event, name="event"),
    path("export.csv", views.export_csv, name="export-csv"),
    path("export.jsonl", views.export_jsonl, name="export-jsonl"),
]
