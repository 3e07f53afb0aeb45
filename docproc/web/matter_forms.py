"""Forms of the matter pages (create and edit a matter, close and reopen it, delete it, its
members and legal holds): validation only; the views hand clean data to the services, which
have the last word (a taken reference, a screened user, the last manager, a hold)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from docproc.models import Matter, PracticeArea, Role
from docproc.services import matters

REASON_MAX = 2000


class MatterForm(forms.Form):
    """A matter's details; ``slug`` only when creating (a reference is fixed once made)."""

    name = forms.CharField(max_length=200, help_text="What people call the matter.")
    slug = forms.SlugField(
        label="Reference",
        max_length=100,
        help_text="The matter's reference, e.g. smith-v-jones-2026: lowercase letters, digits "
        "and hyphens. It cannot be changed later.",
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=matters.MAX_DESCRIPTION,
    )
    client_reference = forms.CharField(
        label="Client or patient reference",
        required=False,
        max_length=100,
        help_text="The reference of the client (or patient) in your other systems.",
    )
    practice_area = forms.ModelChoiceField(
        queryset=PracticeArea.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="None",
    )
    retention_years = forms.IntegerField(
        label="Retention (years after closing)",
        required=False,
        min_value=0,
        max_value=matters.MAX_RETENTION_YEARS,
        help_text="Leave empty to use the practice area's default (or keep the documents until "
        "someone deletes them).",
    )

    def __init__(self, *args, creating: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["slug"]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug != slug.lower():
            raise ValidationError("Use lowercase letters, digits and hyphens only.")
        return slug

    def details(self) -> dict:
        """The editable fields, as ``matters.create_matter``/``update_matter`` take them."""
        return {name: self.cleaned_data[name] for name in matters.EDITABLE_FIELDS}

    @staticmethod
    def initial_of(matter: Matter) -> dict:
        return {
            "name": matter.name,
            "description": matter.description,
            "client_reference": matter.client_reference,
            "practice_area": matter.practice_area.slug if matter.practice_area else None,
            "retention_years": matter.retention_years,
        }


class ReasonForm(forms.Form):
    """An optional reason (closing, reopening, releasing a hold): it goes into the audit log."""

    reason = forms.CharField(
        required=False, max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class RequiredReasonForm(forms.Form):
    """A reason that must be given (placing a legal hold)."""

    reason = forms.CharField(
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="E.g. the litigation or the request it answers. Shown to the matter's members.",
    )


class DeleteMatterForm(forms.Form):
    """Deleting a whole matter: the person types its reference, so it is never a slip."""

    confirm = forms.CharField(label="Type the matter's reference to confirm", max_length=100)

    def __init__(self, *args, matter: Matter, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.matter = matter

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip()
        if typed != self.matter.slug:
            raise ValidationError(
                f"That is not this matter's reference. Type {self.matter.slug} to delete it."
            )
        return typed


class MemberForm(forms.Form):
    """Add an existing user to a matter with a role."""

    username = forms.CharField(max_length=150, help_text="An existing user's sign-in name.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class RoleForm(forms.Form):
    """Change a member's role."""

    username = forms.CharField(max_length=150, widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=Role.choices)


class RemoveMemberForm(forms.Form):
    username = forms.CharField(max_length=150, widget=forms.HiddenInput)
    reason = forms.CharField(required=False, max_length=REASON_MAX)
