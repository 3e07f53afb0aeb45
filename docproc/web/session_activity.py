"""Keeps each signed-in session's record (``services.user_sessions``) in step with the browser:
made at sign-in, marked at sign-out (Django's auth signals, connected in
``DocprocConfig.ready``), and checked on every request by ``SessionActivityMiddleware``, which
signs out a session unused for ``DOCPROC_SESSION_IDLE_SECONDS``: the request goes on as nobody,
so a page needing sign-in redirects to the sign-in page, which says why. A session ended from
another one is removed from the session store at once, so its browser is simply signed out.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from docproc.models import EndReason
from docproc.services import user_sessions
from docproc.web.middleware import client_address

# Sent by the pages' own polling (static/docproc/matter.js, document.js): not a person's activity.
BACKGROUND_HEADER = "X-Docproc-Background"


def _user_agent(request) -> str:
    return request.headers.get("User-Agent", "")


def idle_message(idle_s: int) -> str:
    minutes = max(1, math.ceil(idle_s / 60))
    return (
        f"You were signed out after {minutes} minute{'s' if minutes != 1 else ''} without "
        "activity. Sign in again to go on."
    )


class SessionActivityMiddleware:
    """After the authentication and message middleware."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        key = request.session.session_key if hasattr(request, "session") else None
        if key and user is not None and user.is_authenticated:
            ended = user_sessions.seen(
                user,
                key,
                ip_address=client_address(request),
                user_agent=_user_agent(request),
                background=request.headers.get(BACKGROUND_HEADER) == "1",
            )
            if ended is not None:
                # Not logout(): this is no sign-out by the user (the end is recorded already).
                request.session.flush()
                request.user = AnonymousUser()
                if ended == EndReason.IDLE:
                    messages.info(request, idle_message(settings.SESSION_IDLE_SECONDS))
                else:
                    messages.info(request, "This session was ended. Sign in again to go on.")
        return self.get_response(request)


@receiver(user_logged_in, dispatch_uid="docproc.sessions.started")
def session_started(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    if session.session_key is None:
        session.save()
    user_sessions.started(
        user,
        session.session_key,
        ip_address=client_address(request),
        user_agent=_user_agent(request),
    )


@receiver(user_logged_out, dispatch_uid="docproc.sessions.signed_out")
def session_signed_out(sender, request, user, **kwargs) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        user_sessions.signed_out(key)
