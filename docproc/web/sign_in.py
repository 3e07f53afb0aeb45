"""Sign-in with throttling and lockout: after ``DOCPROC_SIGN_IN_FAILURES_PER_USERNAME`` failed
sign-ins for one user name, or ``DOCPROC_SIGN_IN_FAILURES_PER_ADDRESS`` from one client address,
within a window (``DOCPROC_AUTH_FAILURE_WINDOW_S``), further sign-ins are refused, even with
the right password, until the window ends. The counts are ``audit.flood``'s (the failures are
counted by ``auth_audit.sign_in_failed``).

The sign-in page says so (429 with the reason on the form); the authentication backend refuses
too, so the Django admin's sign-in page cannot be used to go on guessing.

With a directory configured (``directory_sign_in``), a sign-in that fails while the directory
cannot be reached says that (503), not "wrong password"; local accounts still sign in. The page
offers single sign-on (``oidc_sign_in``) when it is configured.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError

from docproc.services import audit

LOCKED_OUT = "locked_out"
DIRECTORY_DOWN = "directory_unavailable"
DIRECTORY_DOWN_MESSAGE = (
    "The directory cannot be reached just now, so directory accounts cannot sign in. Try again "
    "in a few minutes; if this goes on, tell your administrator."
)


def locked_out_message(wait_s: int) -> str:
    minutes = max(1, math.ceil(wait_s / 60))
    return (
        "Too many failed sign-ins for this user name or from your address. Sign-in is refused "
        f"for {minutes} more minute{'s' if minutes != 1 else ''}; try again then."
    )


class ThrottledModelBackend(ModelBackend):
    """Django's user and password check, refused while the name or address is locked out."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        name = username if username is not None else kwargs.get("username")
        if name is not None and audit.flood.sign_in_refusal(str(name)) is not None:
            raise PermissionDenied("sign-in locked out")  # authenticate() stops: no other backend
        return super().authenticate(request, username=username, password=password, **kwargs)


class SignInForm(AuthenticationForm):
    """The sign-in form, which says when sign-in is locked out rather than checking the
    password."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is not None:
            wait = audit.flood.sign_in_refusal(username)
            if wait is not None:
                raise ValidationError(locked_out_message(wait), code=LOCKED_OUT)
        try:
            return super().clean()
        except ValidationError as error:
            # Imported here: the directory's module loads python-ldap, needed only with LDAP.
            if settings.LDAP_ENABLED:
                from docproc.web.directory_sign_in import directory_unavailable

                if directory_unavailable(self.request):
                    raise ValidationError(DIRECTORY_DOWN_MESSAGE, code=DIRECTORY_DOWN) from error
            raise


class SignInView(auth_views.LoginView):
    """The sign-in page; 429 while locked out, 503 while the directory cannot be reached."""

    form_class = SignInForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.OIDC_ENABLED:
            context["single_sign_on"] = getattr(settings, "OIDC_PROVIDER_NAME", "single sign-on")
        return context

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, LOCKED_OUT):
            response.status_code = 429
        elif form.has_error(NON_FIELD_ERRORS, DIRECTORY_DOWN):
            response.status_code = 503
        return response
