"""URL map of the compliance pages, mounted at ``/compliance/`` (namespace ``compliance``)."""

from django.urls import path

from docproc.compliance import screen_views

app_name = "compliance"

urlpatterns: list = [
    # Ethical-wall screens (screen_views.py).
    path("screens/", screen_views.screen_list, name="screens"),
    path("screens/<int:screen_id>/lift/", screen_views.screen_lift, name="screen-lift"),
]
