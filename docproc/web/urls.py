"""URL map of the staff UI, mounted at ``/`` (namespace ``web``)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from docproc.web import (
    ask_views,
    document_actions,
    document_views,
    matter_views,
    sign_in,
    tokens,
)

app_name = "web"

urlpatterns = [
    path("", matter_views.home, name="home"),
    path(
        "login/",
        sign_in.SignInView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("matters/<int:matter_id>/", matter_views.matter_detail, name="matter"),
    path("documents/<int:document_id>/", document_views.document_detail, name="document"),
    path("matters/<int:matter_id>/ask/", ask_views.ask, name="ask"),
    path(
        "documents/<int:document_id>/password/",
        document_actions.document_password,
        name="document-password",
    ),
    path(
        "documents/<int:document_id>/delete/",
        document_actions.document_delete,
        name="document-delete",
    ),
    path("tokens/", tokens.token_list, name="tokens"),
    path("tokens/<str:prefix>/revoke/", tokens.token_revoke, name="token-revoke"),
]
