"""``/account/sessions/``: where the signed-in user is signed in (each session's start, last
use, address and browser), and ending any of their other sessions, one or all. A session of
another user is never shown nor ended: asking for one answers 404 (and the denial is audited).
The session in use is ended by signing out."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from docproc.services import audit, user_sessions


@never_cache
@login_required
def session_list(request):
    current = request.session.session_key
    sessions = user_sessions.open_sessions(request.user)
    return render(
        request,
        "web/sessions.html",
        {
            "sessions": sessions,
            "current_key": current,
            "others": sum(1 for row in sessions if row.session_key != current),
            "idle_minutes": max(1, settings.SESSION_IDLE_SECONDS // 60),
        },
    )


@login_required
@require_POST
def session_end(request, session_id: int):
    row = user_sessions.of_user(request.user, session_id)
    if row is None:
        audit.denied(request.user, reason="not_found", status=404, target=("session", session_id))
        raise Http404("Session not found.")
    if row.session_key == request.session.session_key:
        messages.error(request, "That is the session you are using: sign out to end it.")
    elif user_sessions.end(row, actor=request.user):
        messages.success(request, "The session was ended: it is signed out.")
    else:
        messages.info(request, "That session had already ended.")
    return redirect("web:sessions")


@login_required
@require_POST
def session_end_others(request):
    count = user_sessions.end_others(request.user, request.session.session_key)
    if count:
        messages.success(
            request, f"{count} other session{'s' if count != 1 else ''} ended: signed out."
        )
    else:
        messages.info(request, "You had no other sessions.")
    return redirect("web:sessions")
