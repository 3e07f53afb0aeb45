"""URL map of the staff UI, mounted at ``/`` (namespace ``web``)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from docproc.web import (
    ask_views,
    document_actions,
    document_views,
    hold_views,
    matter_lifecycle,
    matter_views,
    member_views,
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
    path("matters/new/", matter_lifecycle.matter_new, name="matter-new"),
    # OpenID Connect single sign-on (404 unless DOCPROC_OIDC_* configure it).
    path("sso/oidc/start/", oidc_sign_in.SingleSignOnStart.as_view(), name="oidc-start"),
    path("sso/oidc/callback/", oidc_sign_in.SingleSignOnCallback.as_view(), name="oidc-callback"),
    path("matters/<int:matter_id>/", matter_views.matter_detail, name="matter"),
    path("matters/<int:matter_id>/edit/", matter_lifecycle.matter_edit, name="matter-edit"),
    path("matters/<int:matter_id>/close/", matter_lifecycle.matter_close, name="matter-close"),
    path("matters/<int:matter_id>/reopen/", matter_lifecycle.matter_reopen, name="matter-reopen"),
    path("matters/<int:matter_id>/delete/", matter_lifecycle.matter_delete, name="matter-delete"),
    path("matters/<int:matter_id>/members/", member_views.members, name="members"),
    path("matters/<int:matter_id>/members/role/", member_views.member_role, name="member-role"),
    path(
        "matters/<int:matter_id>/members/remove/",
        member_views.member_remove,
        name="member-remove",
    ),
    path("matters/<int:matter_id>/hold/", hold_views.matter_hold, name="matter-hold"),
    path(
        "matters/<int:matter_id>/hold/release/",
        hold_views.matter_hold_release,
        name="matter-hold-release",
    ),
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
    path("documents/<int:document_id>/hold/", hold_views.document_hold, name="document-hold"),
    path(
        "documents/<int:document_id>/hold/release/",
        hold_views.document_hold_release,
        name="document-hold-release",
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
