"""URL map of the compliance pages, mounted at ``/compliance/`` (namespace ``compliance``)."""

from django.urls import path  # noqa: F401  (each page module adds its routes below)

app_name = "compliance"

urlpatterns: list = []
