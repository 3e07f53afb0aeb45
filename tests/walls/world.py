"""The world the ethical-walls matrix runs in: matter A, holding one indexed document whose text,
file name and matter name each carry a marker no other row has, with a cached summary, an
extraction job and chunks; matter B with its own document; a user screened from A; and the nine
personas, from A's editor to anonymous.

Built through the real services (upload, parse, chunk, embed, index) so search and questions
find A's text for its members; shared by ``tests/walls/`` and ``bench/walls.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from docproc.models import (
    ApiToken,
    AuditEvent,
    Document,
    Job,
    JobKind,
    JobStatus,
    Matter,
    Role,
    Scope,
    Screen,
    Summary,
)
from docproc.services import audit, ingestion, screens, summaries, tokens
from tests.factories import rows
from tests.factories.files import make_text_pdf

# Each marker is a word found nowhere else: in A's page text (and so in its chunks, summary and
# extraction), in the file name of A's document, and in A's matter name and slug.
TEXT_MARK = "Quixotrix4417"
FILE_MARK = "zanthorpe"
MATTER_MARK = "vellumcrest"
MARKS = (TEXT_MARK, FILE_MARK, MATTER_MARK)

PAGES = [
    f"The escrow account {TEXT_MARK} holds the settlement funds of the buyer.\n\n"
    "Completion takes place on the tenth business day after the exchange of contracts.",
    f"Second page. The deposit held in {TEXT_MARK} is released on completion.",
]
QUERY = "escrow account holding the settlement funds"
QUESTION = "Which escrow account holds the settlement funds?"

PERSONAS = (
    "editor_a",
    "viewer_a",
    "member_b",
    "expired_token",
    "revoked_token",
    "token_for_b",
    "token_without_scope",
    "superuser",
    "anonymous",
)
INSIDERS = frozenset({"editor_a", "viewer_a"})
BAD_TOKENS = frozenset({"expired_token", "revoked_token"})
TOKENS = frozenset({"expired_token", "revoked_token", "token_for_b", "token_without_scope"})
# Signed in with a session: the other personas reach the UI as nobody (the UI ignores tokens).
SESSIONS = frozenset({"editor_a", "viewer_a", "member_b", "superuser"})
ALL_SCOPES = tuple(Scope.values)


@dataclass
class World:
    matter_a: Matter
    matter_b: Matter
    document_a: Document
    document_b: Document
    job_a: Job
    users: dict[str, object]
    # persona -> bearer plaintext; "token_without_scope" has one per scope it lacks
    bearer: dict[str, str]
    lacking: dict[str, str] = field(default_factory=dict)  # scope -> token lacking only it
    victim_token: ApiToken | None = None  # a token of A's editor that others try to revoke
    screen_a: Screen | None = None  # a user screened from A (compliance may lift it)
    ask_record: AuditEvent | None = None
    clients: dict[tuple[str, str | None], object] = field(default_factory=dict)  # matrix.py's


def _token(user, scopes, matters=(), **extra) -> tuple[str, ApiToken]:
    issued = tokens.create_token(user, scopes, matters=matters, **extra)
    return issued.plaintext, issued.token


def build_world(*, slug_suffix: str = "") -> World:
    """Matter A with its indexed, summarised and extracted document, matter B, the personas and
    their tokens, and one question asked in A by its editor (so the audit log holds an
    answer). Needs the embedding model and FAISS; ``ingestion.enqueue_processing`` must not
    reach a worker (the stages run here)."""
    matter_a = rows.make_matter(
        f"{MATTER_MARK}-holdings{slug_suffix}", f"Vellumcrest Holdings{slug_suffix}"
    )
    matter_b = rows.make_matter(f"acme-audit{slug_suffix}", f"Acme audit{slug_suffix}")
    document_a = ingestion.submit(
        matter_a, f"{FILE_MARK}-escrow.pdf", [make_text_pdf(PAGES)]
    ).document
    assert ingestion.parse(document_a.pk) and ingestion.chunk(document_a.pk)
    assert ingestion.embed(document_a.pk) == 0 and ingestion.index(document_a.pk)
    document_a.refresh_from_db()
    document_b = rows.make_document(matter_b, "b-lease.pdf", pages=["A lease of a warehouse."])

    users: dict[str, object] = {
        "editor_a": rows.make_user(f"ed{slug_suffix}"),
        "viewer_a": rows.make_user(f"vi{slug_suffix}"),
        "member_b": rows.make_user(f"bob{slug_suffix}"),
        "both": rows.make_user(f"tim{slug_suffix}"),
        "superuser": rows.make_user(f"sue{slug_suffix}", is_superuser=True, is_staff=True),
    }
    rows.make_membership(matter_a, users["editor_a"], Role.EDITOR)
    rows.make_membership(matter_a, users["viewer_a"], Role.VIEWER)
    rows.make_membership(matter_b, users["member_b"], Role.MANAGER)
    rows.make_membership(matter_a, users["both"], Role.EDITOR)
    rows.make_membership(matter_b, users["both"], Role.EDITOR)
    screened = rows.make_user(f"sam{slug_suffix}")
    screen_a = screens.screen_user(None, matter_a, screened.username, "the matrix's conflict")

    editor = users["editor_a"]
    bearer: dict[str, str] = {}
    bearer["expired_token"], expired = _token(editor, ALL_SCOPES, expires_in_days=1)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    bearer["revoked_token"], revoked = _token(editor, ALL_SCOPES)
    tokens.revoke(revoked)
    # A member of A and of B whose token is limited to B.
    bearer["token_for_b"], _ = _token(users["both"], ALL_SCOPES, matters=[matter_b])
    lacking = {
        scope: _token(editor, [s for s in ALL_SCOPES if s != scope])[0] for scope in ALL_SCOPES
    }
    _, victim = _token(editor, [Scope.READ], name="victim")

    Summary.objects.create(
        document=document_a,
        model=settings.LLM_MODEL,
        prompt_version=summaries.PROMPT_VERSION,
        result={
            "document": document_a.pk,
            "summary": f"The settlement funds are held in escrow account {TEXT_MARK}.",
            "statements": [f"The settlement funds are held in escrow account {TEXT_MARK}."],
            "citations": [],
            "coverage": {"pages_covered": 2, "pages_total": 2},
            "warnings": [],
            "model": settings.LLM_MODEL,
            "method": "generated",
            "tokens": 0,
        },
    )
    job_a = Job.objects.create(
        user=editor,
        document=document_a,
        kind=JobKind.EXTRACT,
        status=JobStatus.SUCCEEDED,
        params={"schema": "contract"},
        result={
            "schema": "contract",
            "fields": {
                "escrow_account": {
                    "value": TEXT_MARK,
                    "verified": True,
                    "page": 1,
                    "quote": f"The escrow account {TEXT_MARK}",
                    "char_start": 0,
                    "char_end": 30,
                }
            },
            "model": settings.LLM_MODEL,
        },
        finished_at=timezone.now(),
    )
    world = World(
        matter_a=matter_a,
        matter_b=matter_b,
        document_a=document_a,
        document_b=document_b,
        job_a=job_a,
        users=users,
        bearer=bearer,
        lacking=lacking,
        victim_token=victim,
        screen_a=screen_a,
    )
    world.ask_record = _ask_as_editor(world)
    return world


def _ask_as_editor(world: World) -> AuditEvent:
    """A's editor asks a question (the model is down: the answer quotes the documents) and it
    is recorded, as the API and the Ask page do."""
    from docproc.services import answers

    answer = answers.ask(world.matter_a, QUESTION)
    assert TEXT_MARK in answer.answer, answer.answer
    return audit.record_answer(world.users["editor_a"], world.matter_a, answer)
