"""What the staff UI does with a service's refusal (``matters.MatterError`` and its kinds): the
words go on the form (on the field they are about, if the form has it) and the page answers
with the status the API would (409 for a state that does not allow it, 404 for what is not there
(a member who is not one, a matter deleted meanwhile), 400 for a request at fault)."""

from __future__ import annotations

from django import forms

from docproc.services.matters import MatterConflictError, MatterError, MatterGoneError


def status_of(error: MatterError) -> int:
    if isinstance(error, MatterConflictError):
        return 409
    if isinstance(error, MatterGoneError):
        return 404
    return 400


def on_form(form: forms.Form, error: MatterError) -> int:
    """Put ``error``'s words on ``form``; returns the status the page answers with."""
    field = error.field if error.field in form.fields else None
    if field is not None and form.fields[field].widget.is_hidden:
        field = None  # said above the form: a hidden field shows no errors
    form.add_error(field, str(error))
    return status_of(error)
