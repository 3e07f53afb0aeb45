"""A matter's members page: every member with their role, who added them and when, and when
they last used the matter (``memberships.members``). Any member may read it; managers add an
existing user, change a member's role and remove a member (with confirmation). Refusals come
back in words on the page: a screened user, the last manager, an unknown user."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from docproc.models import Matter, Role
from docproc.services import memberships
from docproc.services.matters import MatterError
from docproc.web.lookups import matter_or_404, matter_with_role_or_403
from docproc.web.matter_forms import MemberForm, RemoveMemberForm, RoleForm
from docproc.web.refusals import on_form

GET_POST = ["GET", "HEAD", "POST"]


def _page(request, matter: Matter, add_form: MemberForm | None = None, status: int = 200):
    is_manager = matter.allows(request.user, Role.MANAGER)
    context = {
        "matter": matter,
        "members": memberships.members(matter),
        "is_manager": is_manager,
        "add_form": add_form or MemberForm(),
        "roles": Role.choices,
    }
    return render(request, "web/members.html", context, status=status)


@require_http_methods(GET_POST)
@login_required
def members(request, matter_id: int):
    """GET: the member list (any member). POST: a manager adds an existing user."""
    if request.method != "POST":
        return _page(request, matter_or_404(request.user, matter_id))
    matter = matter_with_role_or_403(request.user, matter_id, Role.MANAGER, "add members")
    form = MemberForm(request.POST)
    status = 400
    if form.is_valid():
        username, role = form.cleaned_data["username"].strip(), form.cleaned_data["role"]
        try:
            _, created = memberships.add_member(
                matter, username, role, request.user, create_user=False
            )
        except MatterError as error:
            status = on_form(form, error)
        else:
            if created:
                messages.success(request, f"Added {username} to {matter.slug} as {role}.")
            else:
                messages.info(request, f"{username} was already a member; their role is {role}.")
            return redirect("web:members", matter_id=matter.pk)
    return _page(request, matter, form, status)


@require_http_methods(GET_POST)
@login_required
def member_role(request, matter_id: int):
    """POST: change a member's role (the members page's row forms). GET: the same form alone,
    for ``?username=``."""
    matter = matter_with_role_or_403(request.user, matter_id, Role.MANAGER, "change roles")
    if request.method != "POST":
        username = request.GET.get("username", "")
        current = next((m for m in memberships.members(matter) if m.username == username), None)
        if current is None:
            return redirect("web:members", matter_id=matter.pk)
        form = RoleForm(initial={"username": username, "role": current.role})
        return render(request, "web/member_role.html", {"matter": matter, "form": form})
    form = RoleForm(request.POST)
    if not form.is_valid():
        return render(request, "web/member_role.html", {"matter": matter, "form": form}, status=400)
    username, role = form.cleaned_data["username"], form.cleaned_data["role"]
    try:
        memberships.change_role(request.user, matter, username, role)
    except MatterError as error:
        status = on_form(form, error)
        return render(
            request, "web/member_role.html", {"matter": matter, "form": form}, status=status
        )
    messages.success(request, f"{username} is now {role} of {matter.slug}.")
    return redirect("web:members", matter_id=matter.pk)


@require_http_methods(GET_POST)
@login_required
def member_remove(request, matter_id: int):
    """GET: confirm removing ``?username=``. POST: remove them (with an optional reason)."""
    matter = matter_with_role_or_403(request.user, matter_id, Role.MANAGER, "remove members")
    if request.method != "POST":
        username = request.GET.get("username", "")
        if not any(m.username == username for m in memberships.members(matter)):
            return redirect("web:members", matter_id=matter.pk)
        form = RemoveMemberForm(initial={"username": username})
        return _confirm(request, matter, form, username)
    form = RemoveMemberForm(request.POST)
    if not form.is_valid():
        return _confirm(request, matter, form, request.POST.get("username", ""), 400)
    username = form.cleaned_data["username"]
    try:
        memberships.remove_member(request.user, matter, username, form.cleaned_data["reason"])
    except MatterError as error:
        status = on_form(form, error)
        return _confirm(request, matter, form, username, status)
    messages.success(request, f"Removed {username} from {matter.slug}.")
    if username == request.user.get_username():
        return redirect("web:home")  # they no longer see the matter
    return redirect("web:members", matter_id=matter.pk)


def _confirm(request, matter: Matter, form: RemoveMemberForm, username: str, status: int = 200):
    context = {"matter": matter, "form": form, "username": username}
    return render(request, "web/member_remove.html", context, status=status)
