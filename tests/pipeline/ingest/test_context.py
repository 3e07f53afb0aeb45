"""Contextual headers: what a passage is about that its own words do not say."""

from __future__ import annotations

from docproc.pipeline.ingest.context import document_context, indexed_text, section_contexts
from docproc.pipeline.ingest.parse.blocks import text_blocks
from docproc.pipeline.types import Block, PageSpan, PageText

COVER = """UNITED STATES
SECURITIES AND EXCHANGE COMMISSION
Washington, D.C. 20549
FORM 10-K
ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934
For the fiscal year ended January 28, 2023
NORTHWIND TRADERS CO., INC.
(Exact name of registrant as specified in its charter)
Minnesota 41-0907483"""

STATEMENT = """Consolidated Statements of Earnings
$ in millions
Fiscal Years Ended January 28, 2023  January 29, 2022  January 30, 2021
Revenue $  46,298   $  51,761   $  47,262
Cost of sales   36,386     40,121     36,689
Gross profit   9,912     11,640     10,573"""


def page(number: int, text: str) -> PageText:
    return PageText(number, text, text_blocks(text))


def chunk_at(pages: list[PageText], number: int, needle: str, ordinal: int = 0) -> PageSpan:
    text = pages[number - 1].text
    start = text.index(needle)
    return PageSpan(ordinal, number, start, start + len(needle), needle, 1)


def test_document_context_names_the_registrant_form_and_fiscal_year_of_a_filing():
    context = document_context("NORTHWIND_2023_10K.pdf", [page(1, COVER)])

    assert context == (
        "NORTHWIND TRADERS CO., INC. · FORM 10-K · fiscal year ended January 28, 2023 · "
        "FY2023 · NORTHWIND 2023 10K"
    )


def test_document_context_of_a_contract_is_its_title_and_file_name():
    text = "MASTER SERVICES AGREEMENT\nThis Agreement is made on 1 March 2025 between A and B."

    context = document_context("msa-2025.pdf", [page(1, text)])

    assert context == "MASTER SERVICES AGREEMENT · msa 2025"


def test_document_context_ignores_a_metadata_title_that_is_an_accession_number():
    context = document_context("report.pdf", [page(1, "Quarterly Report")], "0000764478-23-000006")

    assert context == "Quarterly Report · report"


def test_document_context_never_takes_a_table_row_for_the_title():
    table = "Other | 44.1 | 56.7 | 70.8\nTotal $ 302 $ 148\nRevenue grew in every region."

    assert document_context("report-3ffd9053.txt", [page(1, table)]) == "report 3ffd9053"


def test_table_row_gets_the_statement_heading_and_its_column_header():
    pages = [page(1, STATEMENT)]
    chunk = chunk_at(pages, 1, "Gross profit   9,912     11,640     10,573")

    [context] = section_contexts(pages, [chunk])

    assert context == (
        "Consolidated Statements of Earnings · Fiscal Years Ended January 28, 2023 "
        "January 29, 2022 January 30, 2021"
    )


def test_heading_carries_over_to_the_next_page_and_running_headers_are_ignored():
    running = "Northwind Traders | Annual Report"
    pages = [
        page(n, f"{running}\n\n{body}")
        for n, body in enumerate(
            [
                "Liquidity and Capital Resources\n\nWe manage our liquidity closely.",
                "Cash on hand was sufficient for the next twelve months.",
                "Cash flows from operations rose.",
            ],
            start=1,
        )
    ]
    chunk = chunk_at(pages, 3, "Cash flows from operations rose.")

    [context] = section_contexts(pages, [chunk])

    assert context == "Liquidity and Capital Resources"


def test_rows_of_a_marked_table_get_its_header_rows_and_the_header_row_gets_none():
    text = " | Years Ended September 30, | \n | 2019 | 2018\nFixed Price | 1,452.4 | 1,146.2"
    pages = [PageText(1, text, (Block("table", 0, len(text)),))]
    header = PageSpan(0, 1, 0, 10, text[:10], 1)
    row = chunk_at(pages, 1, "Fixed Price | 1,452.4 | 1,146.2", ordinal=1)

    contexts = section_contexts(pages, [header, row])

    assert contexts == ["", "Years Ended September 30, · 2019 2018"]


def test_indexed_text_puts_the_headers_before_the_passage_and_skips_empty_ones():
    assert indexed_text("Acme 10-K", "", "Revenue rose.") == "Acme 10-K\nRevenue rose."
