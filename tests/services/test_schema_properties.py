"""Property-based fuzzing of a caller's extraction schema and of what the model returns for a
field (hypothesis): a schema is accepted or refused with ``SchemaError``, never another
exception; a field is trusted only with a quote that is its page's own text and a value the
quote states, whatever the model sends."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from docproc.services.extraction import SchemaError, resolve_schema, verify_field
from tests.support.fuzzing import fuzz_settings

FUZZ = fuzz_settings(200)

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
schema_keys = st.sampled_from(
    ["type", "properties", "items", "description", "title", "$ref", "enum", "required", "format"]
)
schemas = st.recursive(
    st.dictionaries(schema_keys, scalars, max_size=4),
    lambda inner: st.dictionaries(
        schema_keys | st.text(max_size=8), inner | json_values, max_size=5
    ),
    max_leaves=25,
)

PAGES = {1: "The tenant shall pay rent of 2,400 monthly.", 2: "Notice period: 90 days."}


@FUZZ
@given(schema=schemas | json_values)
def test_a_callers_schema_is_accepted_or_refused_with_a_reason(schema):
    try:
        resolved = resolve_schema(schema)
    except SchemaError as exc:
        assert str(exc)
    else:
        assert resolved["type"] == "object" and resolved["properties"]


@FUZZ
@given(raw=st.dictionaries(st.sampled_from(["value", "quote", "other"]), json_values, max_size=3))
def test_a_field_is_trusted_only_with_a_quote_from_its_page(raw):
    field = verify_field("rent", {"type": "string"}, raw, PAGES)

    if field["verified"]:
        page = PAGES[field["page"]]
        assert page[field["char_start"] : field["char_end"]] == field["quote"]
    else:
        assert field["value"] is None and field["reason"]
