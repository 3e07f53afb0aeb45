"""What an extraction may trust: a value must occur in its quote, the quote in the document."""

from __future__ import annotations

import pytest

from docproc.services.extraction import SchemaError, llm_schema, resolve_schema, verify_field

PAGES = {
    1: "MASTER SERVICES AGREEMENT\n\nThis Agreement is effective as of 1 March 2026.",
    2: "Total fees are USD 1,250,000. The laws of the State of Delaware govern it.",
}
TEXT = {"type": "string"}
NUMBER = {"type": "number"}


def test_value_in_a_quote_found_in_the_document_is_verified_with_its_page():
    field = verify_field(
        "governing_law", TEXT,
        {"value": "State of Delaware", "quote": "The laws of the State of Delaware govern it."},
        PAGES,
    )  # fmt: skip

    assert (field["value"], field["page"], field["verified"]) == ("State of Delaware", 2, True)
    assert PAGES[2][field["char_start"] : field["char_end"]] == field["quote"]


def test_invented_value_is_dropped_and_reported():
    field = verify_field(
        "governing_law", TEXT, {"value": "England and Wales", "quote": "governed by England"},
        PAGES,
    )  # fmt: skip

    assert (field["value"], field["verified"]) == (None, False)
    assert field["rejected_value"] == "England and Wales"
    assert field["reason"] == "the value does not occur in the document, so it is not trusted"


def test_true_value_with_a_fabricated_quote_gets_the_real_sentence():
    field = verify_field("revenue", NUMBER, {"value": 1250000, "quote": "Fees: 1250000"}, PAGES)

    assert (field["value"], field["page"], field["verified"]) == (1250000, 2, True)
    assert field["quote"] == "Total fees are USD 1,250,000."


def test_null_value_is_not_stated():
    field = verify_field("term", TEXT, {"value": None, "quote": None}, PAGES)

    assert (field["value"], field["verified"], field["reason"]) == (
        None, False, "not stated in the document",
    )  # fmt: skip


def test_value_of_the_wrong_type_is_rejected_by_the_schema():
    field = verify_field(
        "revenue", NUMBER, {"value": "USD 1,250,000", "quote": "Total fees are USD 1,250,000."},
        PAGES,
    )  # fmt: skip

    assert (field["value"], field["verified"]) == (None, False)
    assert field["reason"].startswith("the value does not fit the schema")


def test_builtin_schemas_are_known_by_name():
    assert set(resolve_schema("contract")["properties"]) == {
        "parties", "effective_date", "term", "governing_law", "termination", "payment_terms",
        "confidentiality", "signatories",
    }  # fmt: skip


@pytest.mark.parametrize(
    "schema",
    ["no-such-schema", {"type": "string"}, {"type": "object", "properties": {}},
     {"type": "object", "properties": {"a": {"type": "nonsense"}}}],
)  # fmt: skip
def test_unusable_schemas_are_refused(schema):
    with pytest.raises(SchemaError):
        resolve_schema(schema)


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ({"type": "object", "properties": {"x": True}},
         "Property 'x' must be a schema object, not True."),
        ({"type": "object", "$defs": {"d": {"type": "string"}},
          "properties": {"x": {"anyOf": [{"$ref": "#/$defs/d"}]}}},
         "Property 'x' uses a reference; give its schema inline."),
    ],
)  # fmt: skip
def test_fields_that_cannot_be_asked_for_alone_are_refused_with_the_reason(schema, reason):
    """Valid JSON Schema, but each field is asked for and checked on its own."""
    with pytest.raises(SchemaError) as refused:
        resolve_schema(schema)

    assert str(refused.value) == reason


def test_model_schema_asks_for_a_bounded_nullable_value_and_a_quote():
    schema = llm_schema({"type": "array", "items": {"type": "string"}, "description": "x"})

    assert schema["required"] == ["value", "quote"]
    assert schema["properties"]["value"] == {
        "anyOf": [
            {"type": "array", "maxItems": 8, "items": {"type": "string", "maxLength": 120}},
            {"type": "null"},
        ]
    }
    assert schema["properties"]["quote"]["anyOf"][0] == {"type": "string", "maxLength": 300}
