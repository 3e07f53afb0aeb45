"""``/tokens/``: the signed-in user's API tokens — make one (its secret shown once, on the page
that answers the form, never stored or put in a message), list them, revoke one.

A token can be limited only to matters the user belongs to, and never outlives a membership:
the API checks membership on every request.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from docproc.models import ApiToken, Matter, Scope
from docproc.services import tokens

MAX_EXPIRY_DAYS = 3650


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=tokens.MAX_NAME_LENGTH,
        required=False,
        help_text="What the token is for, e.g. the system that uses it.",
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
        help_text="What the token may do.",
    )
    matters = forms.ModelMultipleChoiceField(
        queryset=Matter.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Leave all unticked for every matter you belong to.",
    )
    expires_in_days = forms.IntegerField(
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        required=False,
        initial=90,
        label="Expires after (days)",
        help_text="Leave empty for a token that does not expire.",
    )

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        matters = cast(forms.ModelMultipleChoiceField, self.fields["matters"])
        matters.queryset = Matter.objects.visible_to(user)


def _page(request, form: TokenForm, issued: tokens.IssuedToken | None = None, status=200):
    user_tokens = ApiToken.objects.filter(user=request.user).prefetch_related("matters")
    response = render(
        request,
        "web/tokens.html",
        {"form": form, "tokens": user_tokens, "issued": issued},
        status=status,
    )
    response["Cache-Control"] = "no-store"  # the page may carry a token's secret
    return response


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def token_list(request):
    if request.method != "POST":
        return _page(request, TokenForm(request.user))
    form = TokenForm(request.user, request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        issued = tokens.create_token(
            request.user,
            form.cleaned_data["scopes"],
            matters=form.cleaned_data["matters"],
            expires_in_days=form.cleaned_data["expires_in_days"],
            name=form.cleaned_data["name"],
            actor=request.user,
        )
    except tokens.TokenError as exc:
        form.add_error(None, str(exc))
        return _page(request, form, status=400)
    return _page(request, TokenForm(request.user), issued=issued, status=201)


@login_required
@require_POST
def token_revoke(request, prefix: str):
    token = ApiToken.objects.filter(user=request.user, prefix=prefix).first()
    if token is None:
        raise Http404("Token not found.")
    if tokens.revoke(token, actor=request.user):
        messages.success(request, f"Token {token.prefix}… revoked.")
    else:
        messages.info(request, f"Token {token.prefix}… was already revoked.")
    return redirect("web:tokens")
