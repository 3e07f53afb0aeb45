"""Ethical-wall screens, for administrators and compliance officers (``docproc.manage_screens``):
every screen, active and lifted, with who placed or lifted it, when and why; a form to screen a
user from a matter (their membership goes, and from then on they see nothing of it); and
lifting a screen with a reason. ``services.screens`` does the work and audits it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from docproc.compliance.access import requires
from docproc.models import Matter, Membership, Screen
from docproc.services import screens
from docproc.services.matters import MatterError
from docproc.web.refusals import on_form

PERMISSION = "docproc.manage_screens"
GET_POST = ["GET", "HEAD", "POST"]
REASON_MAX = 2000


class ScreenForm(forms.Form):
    matter = forms.ModelChoiceField(queryset=Matter.objects.all(), empty_label="Choose a matter")
    username = forms.CharField(
        max_length=150, help_text="The user to bar from the matter (their sign-in name)."
    )
    reason = forms.CharField(
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The conflict of interest, e.g. “acted for the other side in 2024”.",
    )


class LiftForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the wall is no longer needed.",
    )


def _list(request, form: ScreenForm, status: int = 200):
    rows = Screen.objects.select_related("matter", "user", "created_by", "lifted_by")
    context = {
        "form": form,
        "active": [s for s in rows if s.is_active],
        "lifted": [s for s in rows if not s.is_active],
    }
    return render(request, "compliance/screens.html", context, status=status)


@require_http_methods(GET_POST)
@requires(PERMISSION)
def screen_list(request):
    """GET: the screens and the form. POST: screen a user from a matter."""
    if request.method != "POST":
        return _list(request, ScreenForm())
    form = ScreenForm(request.POST)
    if not form.is_valid():
        return _list(request, form, 400)
    matter, username = form.cleaned_data["matter"], form.cleaned_data["username"].strip()
    role = (
        Membership.objects.filter(matter=matter, user__username=username)
        .values_list("role", flat=True)
        .first()
    )
    try:
        screens.screen_user(request.user, matter, username, form.cleaned_data["reason"])
    except MatterError as error:
        return _list(request, form, on_form(form, error))
    removed = f" They are no longer its {role}." if role else ""
    messages.success(request, f"Screened {username} from {matter.slug}.{removed}")
    return redirect("compliance:screens")


@require_http_methods(GET_POST)
@requires(PERMISSION)
def screen_lift(request, screen_id: int):
    """GET: the screen and a reason field. POST: lift it (kept as history)."""
    screen = (
        Screen.objects.select_related("matter", "user", "created_by").filter(pk=screen_id).first()
    )
    if screen is None:
        raise Http404("There is no such screen.")
    form = LiftForm(request.POST if request.method == "POST" else None)
    status = 200
    if not screen.is_active:
        status = 409 if request.method == "POST" else 200
    elif form.is_valid():
        try:
            screens.lift_screen(request.user, screen, form.cleaned_data["reason"])
        except MatterError as error:
            status = on_form(form, error)
        else:
            messages.success(
                request,
                f"Lifted the screen of {screen.user.get_username()} from {screen.matter.slug}. "
                "A manager can add them to the matter again if they need access.",
            )
            return redirect("compliance:screens")
    elif form.is_bound:
        status = 400
    context = {"screen": screen, "form": form}
    return render(request, "compliance/screen_lift.html", context, status=status)
