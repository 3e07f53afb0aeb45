"""Forms of the staff UI: validation only; the views hand clean data to services."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from docproc.pipeline.ingest import file_types
from docproc.services.dense_search import MAX_K


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that takes several files from one ``<input type=file multiple>``."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            if not data:
                return [single(None, initial)]  # raises "required"
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class UploadForm(forms.Form):
    # Empty files are accepted: the service keeps them as "failed" with a reason.
    # The id is part of the matter page's contract with upload.js (and its browser tests).
    # A field named like BaseForm.files (the uploaded files): the stubs read it as overriding
    # that attribute, but Django's form metaclass moves declared fields off the class.
    files = MultipleFileField(  # type: ignore[assignment]
        label="Files to upload",
        allow_empty_file=True,
        widget=MultipleFileInput(attrs={"multiple": True, "id": "upload-input"}),
        help_text=f"{file_types.labels(last_separator=' or ')}. "
        "You can choose several files at once.",
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        limit = settings.MAX_UPLOAD_BYTES
        too_large = [f.name for f in files if f.size is not None and f.size > limit]
        if too_large:
            raise ValidationError(
                "%(names)s %(verb)s larger than the limit of %(limit)s bytes; nothing was "
                "uploaded.",
                params={
                    "names": ", ".join(too_large),
                    "verb": "is" if len(too_large) == 1 else "are",
                    "limit": f"{limit:,}",
                },
                code="payload_too_large",
            )
        return files


class SearchForm(forms.Form):
    q = forms.CharField(label="Search this matter", max_length=2000, strip=True)
    k = forms.IntegerField(
        min_value=1, max_value=MAX_K, initial=10, required=False, widget=forms.HiddenInput
    )


class PasswordForm(forms.Form):
    """The password of an encrypted PDF, taken verbatim (spaces may be part of it)."""

    password = forms.CharField(
        label="Password",
        max_length=512,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
