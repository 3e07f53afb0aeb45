"""Whole sentences and table rows, and which of them answers a question (real MiniLM)."""

from __future__ import annotations

from docproc.pipeline.answer import relevance
from docproc.pipeline.embed import embed_texts

# As pypdf gives the first page of the sample agreement: a running header, the title, then a
# sentence wrapped over lines, longer than 300 characters.
PDF_PAGE = (
    "MSA-2025-0417  |  Confidential  |  SYNTHETIC SAMPLE\n"
    "Page 1\n"
    " MASTER SERVICES AGREEMENT\n"
    'This Master Services Agreement (the "Agreement") is entered into as of 1 March 2025 by\n'
    "and between: Halvorsen Ridge Logistics LLC, a Delaware limited liability company with its\n"
    'principal office in Wilmington, Delaware (the "Customer"); and Brightwater Quay Data\n'
    "Services Ltd., a company incorporated in England and Wales with its registered office in\n"
    'Bristol, United Kingdom (the "Provider").\n'
    "1. Definitions\n"
    ' 1.1  "Affiliate" means any entity that controls a Party.'
)
PARTIES = (
    'This Master Services Agreement (the "Agreement") is entered into as of 1 March 2025 by\n'
    "and between: Halvorsen Ridge Logistics LLC, a Delaware limited liability company with its\n"
    'principal office in Wilmington, Delaware (the "Customer"); and Brightwater Quay Data\n'
    "Services Ltd., a company incorporated in England and Wales with its registered office in\n"
    'Bristol, United Kingdom (the "Provider").'
)
MEDICATIONS = (
    "Discharge medications\n\n"
    "Medication | Dose | Frequency\n"
    "Aspirin | 81 mg | once daily\n"
    "Metoprolol succinate | 50 mg | once daily\n\n"
    "Discontinued: Amlodipine 5 mg once daily."
)


def units(text: str) -> list[str]:
    return [text[a:b] for a, b in relevance.quotable_spans(text)]


def test_a_page_header_and_title_stand_apart_from_the_first_sentence():
    assert units(PDF_PAGE)[:3] == [
        "MSA-2025-0417  |  Confidential  |  SYNTHETIC SAMPLE",
        "Page 1",
        "MASTER SERVICES AGREEMENT",
    ]


def test_a_long_sentence_wrapped_over_lines_stays_one_unit():
    assert units(PDF_PAGE)[3] == PARTIES


def test_a_section_heading_before_a_numbered_clause_stands_apart():
    assert units(PDF_PAGE)[4:] == [
        "1. Definitions",
        '1.1  "Affiliate" means any entity that controls a Party.',
    ]


def test_each_table_row_is_a_unit_of_its_own():
    assert units(MEDICATIONS) == [
        "Discharge medications",
        "Medication | Dose | Frequency",
        "Aspirin | 81 mg | once daily",
        "Metoprolol succinate | 50 mg | once daily",
        "Discontinued: Amlodipine 5 mg once daily.",
    ]


def test_a_table_row_is_about_its_headers_and_caption():
    start = MEDICATIONS.index("Metoprolol")
    end = MEDICATIONS.index("\n", start)

    context = relevance.context(MEDICATIONS, start, end)

    assert context == "Discharge medications Medication | Dose | Frequency"


def test_derived_forms_of_a_word_are_one_term():
    assert relevance.terms("termination") == relevance.terms("terminate")
    assert relevance.terms("terminated") == relevance.terms("terminates")
    assert relevance.terms("availability") == relevance.terms("available")


def test_question_type_is_read_from_its_wording():
    kinds = [
        relevance.question_kind(q)
        for q in (
            "Who are the parties to the agreement?",
            "When was the patient discharged?",
            "How long is the notice period?",
            "How much was paid in dividends?",
            "Which law governs the agreement?",
        )
    ]

    assert kinds == [relevance.NAME, relevance.DATE, relevance.DURATION, relevance.AMOUNT, None]


def test_termination_question_ranks_the_sentence_that_terminates_first():
    sentences = [
        "The Provider may increase the rates once in each twelve-month period, on sixty (60) "
        "days' written notice, by no more than four percent (4%).",
        "Each Party's total liability is limited to the Fees paid in the twelve (12) months "
        "preceding the claim.",
        "The Customer may terminate this Agreement for convenience on sixty (60) days' written "
        "notice to the Provider.",
    ]

    ranked = relevance.rank(
        "What is the termination notice period?", sentences, [1.0, 1.0, 1.0], embed_texts
    )

    assert ranked[0].index == 2
    assert ranked[0].answers is True


def test_who_question_ranks_the_sentence_naming_the_parties_over_ones_that_only_say_party():
    """In a contract most sentences say "Party"; the one that answers "who" names them."""
    sentences = [
        "This Agreement and each SOW are the entire agreement between the Parties on their "
        "subject matter.",
        "Neither Party may assign this Agreement without the other Party's prior consent.",
        "Either Party may terminate this Agreement by written notice for material breach.",
        "The Recipient shall protect the Confidential Information of the other Party.",
        " ".join(PARTIES.split()),
    ]

    ranked = relevance.rank(
        "Who are the parties to the agreement?", sentences, [1.0] * 5, embed_texts
    )

    assert ranked[0].index == 4
    assert ranked[0].answers is True


def test_a_heading_close_in_meaning_ranks_below_the_statement_under_it():
    sentences = ["Diagnoses", "Principal: Non-ST-elevation myocardial infarction (NSTEMI)."]

    ranked = relevance.rank("What was the principal diagnosis?", sentences, [1.0, 1.0], embed_texts)

    assert [r.index for r in ranked] == [1, 0]
    assert (ranked[1].statement, ranked[1].answers) == (False, False)


def test_a_sentence_naming_only_the_questions_subject_does_not_answer_it():
    sentences = ["Kestrelmoor Instruments, Inc. - Consolidated statement of income"]

    (best,) = relevance.rank(
        "Who is the chief executive officer of Kestrelmoor Instruments?",
        sentences,
        [1.0],
        embed_texts,
    )

    assert best.answers is False


def test_a_name_the_question_mentions_must_occur_where_the_sentence_was_found():
    sentences = ["Additional paid-in capital | 8200"]

    (best,) = relevance.rank(
        "What is the capital of Peru?",
        sentences,
        [1.0],
        embed_texts,
        scopes=["Shareholders' equity\nAdditional paid-in capital | 8200"],
    )

    assert (best.names, best.answers) == (False, False)


def test_instructions_after_the_question_do_not_count_against_the_answer():
    question = (
        "How much cash was used for capital expenditures in fiscal 2022? Respond in USD "
        "millions and provide a response to the question by primarily using the statement of "
        "cash flows."
    )

    assert relevance.asked(question) == (
        "How much cash was used for capital expenditures in fiscal 2022?"
    )
    (best,) = relevance.rank(question, ["Capital expenditures (1,386) (1,213)"], [1.0], embed_texts)
    assert best.answers is True


def test_a_question_that_only_asks_is_asked_whole():
    assert relevance.asked("What is the notice period?") == "What is the notice period?"
    assert relevance.asked("List the parties. Name their counsel.") == (
        "List the parties. Name their counsel."
    )
