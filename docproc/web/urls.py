"""URL map of the staff UI, mounted at ``/`` (namespace ``web``)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from docproc.web import (
    ask_views,
    document_actions,
    document_views,
    matter_views,
    oidc_sign_in,
    sessions,
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
    # OpenID Connect single sign-on (404 unless DOCPROC_OIDC_* configure it).
    path("sso/oidc/start/", oidc_sign_in.SingleSignOnStart.as_view(), name="oidc-start"),
    path("sso/oidc/callback/", oidc_sign_in.SingleSignOnCallback.as_view(), name="oidc-callback"),
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
    path("account/sessions/", sessions.session_list, name="sessions"),
    path("account/sessions/<int:session_id>/end/", sessions.session_end, name="session-end"),
    path(
        "account/sessions/end-others/",
        sessions.session_end_others,
        name="sessions-end-others",
    ),
]
