"""URL map of the compliance pages, mounted at ``/compliance/`` (namespace ``compliance``)."""

from django.urls import path

from docproc.compliance import review_views, screen_views

app_name = "compliance"

urlpatterns: list = []

# Access review and retention forecast (review_views.py).
urlpatterns += [
    path("access/", review_views.access, name="access"),
    path("access.csv", review_views.access_csv_export, name="access-csv"),
    path("retention/", review_views.retention_forecast, name="retention"),
]

# Ethical-wall screens (screen_views.py).
urlpatterns += [
    path("screens/", screen_views.screen_list, name="screens"),
    path("screens/<int:screen_id>/lift/", screen_views.screen_lift, name="screen-lift"),
]
