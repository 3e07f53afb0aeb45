"""Write the three synthetic sample documents in this folder.

Every party, patient, clinician, company and figure below is invented for docproc's demos and
tests; any resemblance to real people or organisations is coincidental. The output is
byte-for-byte reproducible (fixed timestamps and document ids), so re-running this script leaves
git clean and the files keep their SHA-256, which docproc uses to de-duplicate uploads.

    .venv/bin/python samples/make_samples.py          # rewrites the files next to this script
    .venv/bin/python samples/make_samples.py OUT_DIR  # or writes them elsewhere

Needs reportlab, python-docx and openpyxl (all in requirements-dev.txt).
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Office files are zip archives that record "now" in every entry and in docProps/core.xml.
FIXED_ZIP_TIME = (2025, 3, 1, 0, 0, 0)
FIXED_CORE_TIME = "2025-03-01T00:00:00Z"
SYNTHETIC_NOTICE = "SYNTHETIC SAMPLE - fictitious parties, generated for docproc demos"

# --------------------------------------------------------------------------------------------
# 1. Master services agreement (PDF, ~5 pages)
# --------------------------------------------------------------------------------------------

CUSTOMER = "Halvorsen Ridge Logistics LLC"
PROVIDER = "Brightwater Quay Data Services Ltd."

MSA_PREAMBLE = [
    'This Master Services Agreement (the <b>"Agreement"</b>), agreement number MSA-2025-0417, '
    'is entered into as of 1 March 2025 (the <b>"Effective Date"</b>) by and between:',
    f"<b>{CUSTOMER}</b>, a Delaware limited liability company with its principal office at "
    '1180 Tern Harbor Parkway, Suite 400, Wilmington, Delaware 19801 (the <b>"Customer"</b>); '
    "and",
    f"<b>{PROVIDER}</b>, a company incorporated in England and Wales under company number "
    "09981234, with its registered office at 7 Caddick Wharf, Bristol BS1 6QX, United Kingdom "
    '(the <b>"Provider"</b>).',
    'The Customer and the Provider are each a <b>"Party"</b> and together the '
    '<b>"Parties"</b>. The Parties agree as follows.',
]

# "## " starts a section; every other block is one clause, its number first ("4.2", "(b)").
# Lines within a block are joined with spaces.
MSA_BODY = """
## 1. Definitions

1.1 <b>"Affiliate"</b> means any entity that directly or indirectly controls, is controlled
by, or is under common control with a Party, where control means ownership of more than
fifty percent (50%) of the voting interests of the entity.

1.2 <b>"Confidential Information"</b> has the meaning given in Section 5.1.

1.3 <b>"Customer Data"</b> means all data, documents and records, including shipment
manifests, customs declarations and personal data of the Customer's employees and
consignees, that the Customer or its Affiliates make available to the Provider under this
Agreement.

1.4 <b>"Deliverables"</b> means the reports, dashboards, software configurations and other
work product that the Provider delivers under a Statement of Work.

1.5 <b>"Services"</b> means the data engineering, analytics and managed hosting services
described in one or more Statements of Work.

1.6 <b>"Statement of Work"</b> or <b>"SOW"</b> means a document executed by both Parties
that references this Agreement and describes Services, Deliverables, milestones and Fees.

## 2. Services

2.1 <i>Statements of Work.</i> The Provider shall perform the Services described in each SOW
in accordance with this Agreement. If a SOW conflicts with this Agreement, this Agreement
prevails unless the SOW expressly states that a specific Section of this Agreement is varied
for that SOW only.

2.2 <i>Change orders.</i> Either Party may request a change to a SOW in writing. No change
is binding until a change order describing the revised scope, schedule and Fees is signed by
an authorised representative of each Party.

2.3 <i>Personnel.</i> The Provider shall assign suitably qualified personnel and shall name
a service delivery manager who is the Customer's primary contact. The Provider shall not
replace the service delivery manager during the first six (6) months of a SOW without the
Customer's prior written consent, which shall not be unreasonably withheld.

2.4 <i>Service levels.</i> The managed hosting Services shall be available at least 99.5% of
each calendar month, excluding scheduled maintenance notified at least five (5) business
days in advance. If availability falls below that level, the Customer is entitled to a
service credit of five percent (5%) of the monthly hosting Fees for each full 0.5%
shortfall, up to thirty percent (30%) of those Fees.

## 3. Term

3.1 <i>Initial term.</i> This Agreement commences on the Effective Date and continues for an
initial term of thirty-six (36) months, ending on 28 February 2028 (the <b>"Initial
Term"</b>), unless terminated earlier under Section 11.

3.2 <i>Renewal.</i> After the Initial Term this Agreement renews automatically for
successive renewal terms of twelve (12) months each, unless either Party gives the other
written notice of non-renewal at least ninety (90) days before the end of the then-current
term.

3.3 <i>SOWs.</i> Each SOW remains in force for the term stated in it. Expiry or termination
of this Agreement does not terminate a SOW then in progress, which continues to be governed
by this Agreement until the SOW ends.

## 4. Fees and Payment

4.1 <i>Fees.</i> The Customer shall pay the fees set out in each SOW (the <b>"Fees"</b>).
Unless a SOW states otherwise, time-and-materials Services are charged at the rates in
Schedule 1 and fixed-price Services are charged on completion of each milestone.

4.2 <i>Invoicing and payment.</i>

(a) The Provider shall invoice the Customer monthly in arrears, in US dollars, itemising
Services performed and expenses incurred in the preceding month.

(b) The Customer shall pay each undisputed invoice within forty-five (45) days after receipt
of a correct invoice. Amounts not paid when due bear interest at one percent (1.0%) per
month, or the maximum rate permitted by law if lower, from the due date until paid. The
Provider may suspend the Services on fifteen (15) days' written notice if an undisputed
amount remains unpaid sixty (60) days after its due date.

(c) If the Customer disputes an invoice in good faith, it shall notify the Provider in
writing within fifteen (15) days after receipt, pay the undisputed portion, and the Parties
shall work together to resolve the dispute within thirty (30) days. Interest under Section
4.2(b) does not accrue on an amount disputed in good faith until the dispute is resolved.

4.3 <i>Taxes.</i> Fees exclude sales, use, value added and similar taxes, which the Customer
shall pay, other than taxes based on the Provider's net income.

4.4 <i>Expenses.</i> The Customer shall reimburse reasonable travel expenses that it has
approved in writing in advance, at cost and without mark-up, in accordance with the
Customer's travel policy.

4.5 <i>Fee adjustments.</i> The Provider may increase the rates in Schedule 1 once in each
twelve-month period after the first anniversary of the Effective Date, on sixty (60) days'
written notice, by no more than the lower of four percent (4%) and the annual change in the
US Consumer Price Index.

## 5. Confidentiality

5.1 <i>Definition.</i> <b>"Confidential Information"</b> means all non-public information
disclosed by or on behalf of a Party (the <b>"Discloser"</b>) to the other Party (the
<b>"Recipient"</b>) that is marked confidential or that a reasonable person would understand
to be confidential, including Customer Data, pricing and the terms of this Agreement.

5.2 <i>Obligations.</i> The Recipient shall use Confidential Information only to perform or
receive the Services, shall protect it with at least the care it uses for its own
information of a similar nature and no less than reasonable care, and shall disclose it only
to its employees, contractors and advisers who need to know it and are bound by obligations
at least as protective as this Section 5.

5.3 <i>Exclusions.</i> Section 5.2 does not apply to information that (a) is or becomes
public through no fault of the Recipient, (b) was lawfully known to the Recipient before
disclosure, (c) is independently developed without use of the Discloser's information, or
(d) is received from a third party without a duty of confidence. The Recipient may disclose
information where required by law or court order, after giving the Discloser prompt notice
where lawful.

5.4 <i>Duration.</i> The obligations in this Section 5 continue for five (5) years after
termination or expiry of this Agreement, and for trade secrets and personal data for as long
as the information remains a trade secret or personal data.

5.5 <i>Return or destruction.</i> On termination, or on the Discloser's written request, the
Recipient shall return or securely destroy the Discloser's Confidential Information within
thirty (30) days and certify in writing that it has done so.

## 6. Data Protection and Security

6.1 The Provider shall process Customer Data only on the Customer's documented instructions
and in accordance with the Data Processing Addendum in Schedule 2.

6.2 The Provider shall maintain an information security programme certified to ISO/IEC 27001
and shall encrypt Customer Data at rest and in transit.

6.3 The Provider shall notify the Customer without undue delay, and in any event within
forty-eight (48) hours, after becoming aware of a personal data breach affecting Customer
Data.

## 7. Intellectual Property

7.1 Each Party retains all rights in its pre-existing materials. Subject to payment of the
applicable Fees, the Customer owns the Deliverables created specifically for it under a SOW.

7.2 The Provider grants the Customer a perpetual, non-exclusive, royalty-free licence to use
any Provider pre-existing materials incorporated into a Deliverable, solely as part of that
Deliverable.

## 8. Warranties

8.1 The Provider warrants that the Services will be performed in a professional and
workmanlike manner consistent with generally accepted industry standards, and that each
Deliverable will conform to its specification for ninety (90) days after acceptance.

8.2 Except as expressly stated in this Agreement, neither Party gives any other warranty,
express or implied, including any implied warranty of merchantability or fitness for a
particular purpose.

## 9. Limitation of Liability

9.1 Except for liability under Section 5, Section 10 or for fraud, each Party's total
liability arising out of or in connection with this Agreement in any twelve-month period is
limited to the Fees paid and payable under this Agreement in the twelve (12) months
preceding the event giving rise to the claim.

9.2 Neither Party is liable for any indirect, incidental, special or consequential damages,
or for loss of profits, revenue or goodwill, even if advised of their possibility.

## 10. Indemnification

10.1 The Provider shall defend and indemnify the Customer against any third-party claim
alleging that the Services or Deliverables infringe that third party's intellectual property
rights, and pay the damages and costs finally awarded.

10.2 The indemnified Party shall give prompt written notice of the claim, allow the
indemnifying Party to control its defence and settlement, and provide reasonable assistance
at the indemnifying Party's expense.

## 11. Termination

11.1 <i>For convenience.</i> The Customer may terminate this Agreement or any SOW for
convenience on sixty (60) days' written notice to the Provider, subject to payment for
Services performed up to the date of termination.

11.2 <i>For cause.</i> Either Party may terminate this Agreement by written notice if the
other Party commits a material breach and fails to cure it within thirty (30) days after
receiving written notice describing the breach. Failure to pay an undisputed amount within
the period set out in Section 4.2(b) is a material breach.

11.3 <i>Insolvency.</i> Either Party may terminate this Agreement immediately by written
notice if the other Party becomes insolvent, makes an assignment for the benefit of
creditors, or has a receiver, administrator or liquidator appointed.

11.4 <i>Effect of termination.</i> On termination the Customer shall pay all Fees properly
due up to the termination date, the Provider shall deliver all completed and in-progress
Deliverables, and the Provider shall provide reasonable transition assistance for up to
ninety (90) days at the rates in Schedule 1. Sections 4, 5, 7, 9, 10, 12 and 13 survive
termination.

## 12. Governing Law and Disputes

12.1 This Agreement and any dispute arising out of or in connection with it are governed by
the laws of the State of New York, without regard to its conflict of laws rules. The United
Nations Convention on Contracts for the International Sale of Goods does not apply.

12.2 The Parties shall first attempt to resolve any dispute through negotiation between
senior executives for thirty (30) days. Any dispute not so resolved shall be submitted to
the exclusive jurisdiction of the state and federal courts located in New York County, New
York.

## 13. General

13.1 <i>Notices.</i> Notices must be in writing and delivered by hand, by recognised courier
or by email with confirmation of receipt, to the addresses above or as a Party later
designates by notice.

13.2 <i>Assignment.</i> Neither Party may assign this Agreement without the other Party's
prior written consent, except to an Affiliate or a successor to all or substantially all of
its business, on written notice.

13.3 <i>Force majeure.</i> Neither Party is liable for delay or failure caused by events
beyond its reasonable control, provided it notifies the other Party promptly and uses
reasonable efforts to resume performance. Payment obligations are not excused.

13.4 <i>Entire agreement.</i> This Agreement, its Schedules and each SOW are the entire
agreement between the Parties on their subject matter and supersede all prior proposals and
understandings. Amendments must be in writing and signed by both Parties.

13.5 <i>Counterparts.</i> This Agreement may be executed in counterparts, including by
electronic signature, each of which is an original and all of which together are one
instrument.
"""

MSA_SIGNATORIES = [
    (CUSTOMER, "Marisol T. Quenby", "Chief Operating Officer", "1 March 2025"),
    (PROVIDER, "Devlin O. Ashcombe", "Managing Director", "1 March 2025"),
]


def write_master_services_agreement(path: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    body = ParagraphStyle("Body", parent=styles["BodyText"], fontSize=10.5, leading=14)
    clause = ParagraphStyle(
        "Clause", parent=body, leftIndent=0.45 * inch, firstLineIndent=-0.45 * inch, spaceAfter=5
    )
    item = ParagraphStyle("Item", parent=clause, leftIndent=0.9 * inch)
    heading = ParagraphStyle("Heading", parent=styles["Heading2"], fontSize=12, spaceBefore=10)
    title = ParagraphStyle("Title", parent=styles["Title"], fontSize=18, alignment=TA_CENTER)

    def on_page(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.grey)
        footer = f"MSA-2025-0417  |  Confidential  |  {SYNTHETIC_NOTICE}"
        canvas.drawString(inch, 0.6 * inch, footer)
        canvas.drawRightString(LETTER[0] - inch, 0.6 * inch, f"Page {doc.page}")
        canvas.restoreState()

    story: list = [Paragraph("MASTER SERVICES AGREEMENT", title), Spacer(1, 6)]
    story += [Paragraph(text, body) for text in MSA_PREAMBLE]
    for name, clauses in _sections(MSA_BODY):
        story.append(Paragraph(name, heading))
        for text in clauses:
            label, _, text = text.partition(" ")
            style = item if label.startswith("(") else clause
            story.append(Paragraph(f"{label}&nbsp;&nbsp;{text}", style))

    story.append(Paragraph("Signatures", heading))
    story.append(
        Paragraph(
            "IN WITNESS WHEREOF, the Parties have caused this Agreement to be executed by their "
            "duly authorised representatives as of the Effective Date.",
            body,
        )
    )
    rows = [["", CUSTOMER, PROVIDER]]
    rows.append(["Signature:", "/s/ " + MSA_SIGNATORIES[0][1], "/s/ " + MSA_SIGNATORIES[1][1]])
    rows.append(["Name:", MSA_SIGNATORIES[0][1], MSA_SIGNATORIES[1][1]])
    rows.append(["Title:", MSA_SIGNATORIES[0][2], MSA_SIGNATORIES[1][2]])
    rows.append(["Date:", MSA_SIGNATORIES[0][3], MSA_SIGNATORIES[1][3]])
    table = Table(rows, colWidths=[0.9 * inch, 2.8 * inch, 2.8 * inch])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9.5),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 9.5),
                ("LINEBELOW", (1, 1), (-1, 1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    story.append(KeepTogether([Spacer(1, 8), table]))
    story.append(Spacer(1, 12))
    story.append(
        Paragraph(
            "<i>Schedule 1 (Rates) and Schedule 2 (Data Processing Addendum) are not reproduced in "
            "this sample.</i>",
            body,
        )
    )

    doc = SimpleDocTemplate(
        str(path),
        pagesize=LETTER,
        leftMargin=inch,
        rightMargin=inch,
        topMargin=inch,
        bottomMargin=inch,
        title="Master Services Agreement MSA-2025-0417 (synthetic sample)",
        author="docproc samples/make_samples.py",
        subject=SYNTHETIC_NOTICE,
        creator="docproc samples/make_samples.py",
        invariant=1,  # fixed dates and document id: reproducible bytes
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)


# --------------------------------------------------------------------------------------------
# 2. Hospital discharge summary (DOCX)
# --------------------------------------------------------------------------------------------

DISCHARGE_HEADER = [
    ("Hospital", "St. Aldric Regional Medical Centre (fictitious), Department of Cardiology"),
    ("Patient", "Elowen R. Tarrant (fictitious)"),
    ("Date of birth", "14 July 1958 (age 66)"),
    ("Sex", "Female"),
    ("Medical record number", "SYN-204-5591"),
    ("Admission date", "3 February 2025"),
    ("Discharge date", "8 February 2025"),
    ("Length of stay", "5 days"),
    ("Attending physician", "Dr. Caspian Verhoeven, MD (Cardiology)"),
    ("Primary care physician", "Dr. Imogen Saltmarsh, MD, Fernbrook Family Practice (fictitious)"),
    ("Discharge disposition", "Home with self-care; outpatient cardiac rehabilitation"),
]

DISCHARGE_DIAGNOSES = [
    "Principal: Non-ST-elevation myocardial infarction (NSTEMI), ICD-10 I21.4.",
    "Secondary: Essential hypertension, ICD-10 I10.",
    "Secondary: Type 2 diabetes mellitus without complications, ICD-10 E11.9.",
    "Secondary: Hyperlipidaemia, ICD-10 E78.5.",
]

DISCHARGE_PROCEDURES = [
    "4 February 2025 - Coronary angiography via right radial artery: 85% stenosis of the mid "
    "left anterior descending (LAD) artery; non-obstructive disease elsewhere.",
    "4 February 2025 - Percutaneous coronary intervention (PCI) with one drug-eluting stent "
    "(3.0 x 18 mm) to the mid LAD; TIMI 3 flow restored; no complications.",
    "5 February 2025 - Transthoracic echocardiogram: left ventricular ejection fraction 50%, "
    "mild anterior wall hypokinesis, no significant valvular disease.",
]

DISCHARGE_MEDICATIONS = [
    ("Aspirin", "81 mg", "once daily", "by mouth", "Continue indefinitely"),
    (
        "Ticagrelor",
        "90 mg",
        "twice daily",
        "by mouth",
        "New; 12 months after stent, do not stop without talking to cardiology",
    ),
    (
        "Metoprolol succinate",
        "50 mg",
        "once daily",
        "by mouth",
        "New; hold if heart rate below 55/min",
    ),
    ("Atorvastatin", "80 mg", "once daily at night", "by mouth", "Dose increased from 20 mg"),
    (
        "Lisinopril",
        "10 mg",
        "once daily",
        "by mouth",
        "New; recheck kidney function and potassium in 1 week",
    ),
    (
        "Metformin",
        "1000 mg",
        "twice daily with meals",
        "by mouth",
        "Unchanged; restarted 48 hours after contrast",
    ),
    (
        "Nitroglycerin",
        "0.4 mg",
        "as needed for chest pain, up to 3 doses 5 minutes apart",
        "sublingual",
        "New; call emergency services if pain persists after the first dose",
    ),
]

DISCHARGE_SECTIONS = """
## Reason for admission

Ms. Tarrant presented to the emergency department on 3 February 2025 with two hours of
central chest pressure radiating to the left arm, with diaphoresis and nausea.
High-sensitivity troponin T was 86 ng/L on arrival and 214 ng/L at three hours. The ECG
showed 1 mm ST depression in leads V3 to V5 without ST elevation.

## Hospital course

She was treated for NSTEMI with aspirin, a ticagrelor loading dose of 180 mg, intravenous
heparin and sublingual nitroglycerin, with resolution of pain. Coronary angiography on
hospital day 2 showed a culprit lesion in the mid LAD, treated with one drug-eluting stent.
Peak troponin T was 412 ng/L. She remained pain-free and in sinus rhythm on telemetry. Blood
pressure on discharge was 128/76 mmHg and heart rate 64/min.

Metformin was held for 48 hours after iodinated contrast; creatinine was stable at 0.9 mg/dL
before and after the procedure. HbA1c was 7.8%. LDL cholesterol was 148 mg/dL, and
atorvastatin was increased to high intensity. Amlodipine 5 mg once daily was stopped and
replaced by metoprolol and lisinopril.

## Condition at discharge

Stable. Ambulating independently, tolerating a regular diet, radial access site clean with
no haematoma.

## Follow-up

Cardiology clinic with Dr. Verhoeven in 2 weeks (on or about 21 February 2025).

Primary care physician in 1 week for blood pressure, basic metabolic panel and potassium.

Referral sent to outpatient cardiac rehabilitation (phase II), to start within 3 weeks.

Repeat lipid panel in 6 to 8 weeks.

## Patient instructions

Do not lift more than 5 kg with the right arm for 5 days. No driving for 1 week.

Take ticagrelor and aspirin every day; missing doses can cause the stent to clot.

Call 911 for chest pain not relieved by one nitroglycerin tablet, fainting, or shortness of
breath at rest.
"""


def write_discharge_summary(path: Path) -> None:
    import docx
    from docx.shared import Pt

    document = docx.Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(10.5)
    props = document.core_properties
    props.title = "Discharge summary - SYN-204-5591 (synthetic sample)"
    props.author = "docproc samples/make_samples.py"
    props.subject = SYNTHETIC_NOTICE
    props.last_modified_by = "docproc"
    props.revision = 1

    document.add_heading("Discharge Summary", level=0)
    notice = document.add_paragraph().add_run(SYNTHETIC_NOTICE + ". Not a real patient record.")
    notice.italic = True

    header = document.add_table(rows=0, cols=2)
    header.style = "Light List Accent 1"
    for label, value in DISCHARGE_HEADER:
        cells = header.add_row().cells
        cells[0].text = label
        cells[1].text = value

    document.add_heading("Diagnoses", level=1)
    for diagnosis in DISCHARGE_DIAGNOSES:
        document.add_paragraph(diagnosis, style="List Bullet")

    document.add_heading("Allergies", level=1)
    document.add_paragraph("Penicillin - hives and facial swelling (2009).", style="List Bullet")
    document.add_paragraph(
        "Codeine - severe nausea and vomiting (intolerance).", style="List Bullet"
    )
    document.add_paragraph("No known latex or food allergies.", style="List Bullet")

    narrative = _sections(DISCHARGE_SECTIONS)
    for name, paragraphs in narrative[:2]:
        document.add_heading(name, level=1)
        for text in paragraphs:
            document.add_paragraph(text)

    document.add_heading("Procedures", level=1)
    for procedure in DISCHARGE_PROCEDURES:
        document.add_paragraph(procedure, style="List Bullet")

    document.add_heading("Discharge medications", level=1)
    meds = document.add_table(rows=1, cols=5)
    meds.style = "Light Grid Accent 1"
    for cell, label in zip(
        meds.rows[0].cells, ["Medication", "Dose", "Frequency", "Route", "Notes"], strict=True
    ):
        cell.text = label
    for row in DISCHARGE_MEDICATIONS:
        for cell, value in zip(meds.add_row().cells, row, strict=True):
            cell.text = value
    document.add_paragraph("Discontinued: Amlodipine 5 mg once daily.")

    for name, paragraphs in narrative[2:]:
        document.add_heading(name, level=1)
        for text in paragraphs:
            document.add_paragraph(text, style="List Bullet" if len(paragraphs) > 1 else None)

    document.add_paragraph(
        "Electronically signed by Dr. Caspian Verhoeven, MD, on 8 February 2025 at 14:32."
    )
    document.save(str(path))
    _normalise_office_zip(path)


# --------------------------------------------------------------------------------------------
# 3. Annual financial statement (XLSX). Figures in thousands of US dollars; every total adds up.
# --------------------------------------------------------------------------------------------

ENTITY = "Kestrelmoor Instruments, Inc. (fictitious)"
PERIOD = "Fiscal year ended 31 December 2024"
CURRENCY = "US dollars (USD), in thousands"

INCOME_STATEMENT = [  # label, 2024, 2023
    ("Revenue", 48213, 44870),
    ("Cost of revenue", -27942, -26310),
    ("Gross profit", 20271, 18560),
    ("Selling, general and administrative expenses", -9118, -8702),
    ("Research and development expenses", -4406, -4015),
    ("Operating income", 6747, 5843),
    ("Interest expense", -612, -701),
    ("Other income, net", 148, 96),
    ("Income before income taxes", 6283, 5238),
    ("Income tax expense", -1382, -1152),
    ("Net income", 4901, 4086),
]

BALANCE_SHEET = [  # label, 31 Dec 2024 (None = heading row)
    ("Assets", None),
    ("Cash and cash equivalents", 9834),
    ("Accounts receivable, net", 7215),
    ("Inventories", 6102),
    ("Prepaid expenses and other current assets", 1044),
    ("Total current assets", 24195),
    ("Property, plant and equipment, net", 18730),
    ("Intangible assets, net", 3215),
    ("Other non-current assets", 1260),
    ("Total assets", 47400),
    ("Liabilities", None),
    ("Accounts payable", 4388),
    ("Accrued liabilities", 2917),
    ("Current portion of long-term debt", 1500),
    ("Total current liabilities", 8805),
    ("Long-term debt, less current portion", 10500),
    ("Deferred tax liabilities", 1145),
    ("Other non-current liabilities", 850),
    ("Total liabilities", 21300),
    ("Shareholders' equity", None),
    ("Common stock", 5000),
    ("Additional paid-in capital", 8200),
    ("Retained earnings", 12900),
    ("Total shareholders' equity", 26100),
    ("Total liabilities and shareholders' equity", 47400),
]

CASH_FLOW = [  # label, 2024 (None = heading row)
    ("Operating activities", None),
    ("Net income", 4901),
    ("Depreciation and amortisation", 2634),
    ("Share-based compensation", 410),
    ("Deferred income taxes", 95),
    ("Increase in accounts receivable", -820),
    ("Increase in inventories", -455),
    ("Increase in accounts payable", 367),
    ("Increase in accrued liabilities", 190),
    ("Net cash provided by operating activities", 7322),
    ("Investing activities", None),
    ("Purchases of property, plant and equipment", -3910),
    ("Purchases of intangible assets", -480),
    ("Net cash used in investing activities", -4390),
    ("Financing activities", None),
    ("Repayment of long-term debt", -1500),
    ("Dividends paid", -1200),
    ("Net cash used in financing activities", -2700),
    ("Net increase in cash and cash equivalents", 232),
    ("Cash and cash equivalents at beginning of year", 9602),
    ("Cash and cash equivalents at end of year", 9834),
]


def _check_financial_figures() -> None:
    """The sample must be internally consistent: a reader (or a model) can check its sums."""
    bs = dict(row for row in BALANCE_SHEET if row[1] is not None)
    cf = dict(row for row in CASH_FLOW if row[1] is not None)
    inc = {label: current for label, current, _ in INCOME_STATEMENT}
    assert bs["Total assets"] == bs["Total liabilities and shareholders' equity"]
    assert bs["Total liabilities"] + bs["Total shareholders' equity"] == bs["Total assets"]
    assert inc["Revenue"] + inc["Cost of revenue"] == inc["Gross profit"]
    assert inc["Income before income taxes"] + inc["Income tax expense"] == inc["Net income"]
    assert inc["Net income"] == cf["Net income"]
    operating = list(cf.values())[: list(cf).index("Net cash provided by operating activities")]
    assert sum(operating) == cf["Net cash provided by operating activities"]
    assert (
        cf["Cash and cash equivalents at beginning of year"]
        + cf["Net increase in cash and cash equivalents"]
        == cf["Cash and cash equivalents at end of year"]
        == bs["Cash and cash equivalents"]
    )


def write_financial_statement(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    _check_financial_figures()
    bold = Font(bold=True)
    money = "#,##0;(#,##0)"
    # Plain values, never formulas: a workbook saved by openpyxl has no cached formula results,
    # so parsers that read values (as docproc does) would see empty cells.
    workbook = Workbook()
    cover = workbook.active
    cover.title = "Cover"
    cover.append([ENTITY])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append(["Annual Financial Statements"])
    cover.append([f"Reporting period: {PERIOD} (1 January 2024 to 31 December 2024)"])
    cover.append([f"Presentation currency: {CURRENCY}"])
    cover.append(["Registered office: 3300 Larkspur Mill Road, Columbus, Ohio 43215 (fictitious)"])
    cover.append(
        ["Auditor: Penhallow & Ridd LLP (fictitious); unqualified opinion dated 14 March 2025"]
    )
    cover.append([SYNTHETIC_NOTICE])
    cover.append([])
    cover.append(["Key figures (USD thousands)", "FY2024"])
    balance_figures = dict(row for row in BALANCE_SHEET if row[1] is not None)
    cash_figures = dict(row for row in CASH_FLOW if row[1] is not None)
    operating_cash = "Net cash provided by operating activities"
    key_rows = [
        ("Revenue", INCOME_STATEMENT[0][1]),
        ("Net income", INCOME_STATEMENT[-1][1]),
        ("Total assets", balance_figures["Total assets"]),
        ("Total liabilities", balance_figures["Total liabilities"]),
        (operating_cash, cash_figures[operating_cash]),
    ]
    for label, value in key_rows:
        cover.append([label, value])
        cover.cell(row=cover.max_row, column=2).number_format = money
    cover.column_dimensions["A"].width = 62
    cover.column_dimensions["B"].width = 14

    income = workbook.create_sheet("Income Statement")
    income.append([f"{ENTITY} - Consolidated statement of income", None, None])
    income.append([f"{PERIOD}; {CURRENCY}", None, None])
    income.append(["Line item", "FY2024", "FY2023"])
    for label, current, prior in INCOME_STATEMENT:
        income.append([label, current, prior])
    _style_statement(income, bold, money, header_row=3)

    balance = workbook.create_sheet("Balance Sheet")
    balance.append([f"{ENTITY} - Consolidated balance sheet", None])
    balance.append([f"As at 31 December 2024; {CURRENCY}", None])
    balance.append(["Line item", "31 Dec 2024"])
    for label, value in BALANCE_SHEET:
        balance.append([label, value])
    _style_statement(balance, bold, money, header_row=3)

    cash = workbook.create_sheet("Cash Flow")
    cash.append([f"{ENTITY} - Consolidated statement of cash flows", None])
    cash.append([f"{PERIOD}; {CURRENCY}", None])
    cash.append(["Line item", "FY2024"])
    for label, value in CASH_FLOW:
        cash.append([label, value])
    _style_statement(cash, bold, money, header_row=3)

    props = workbook.properties
    props.title = "Kestrelmoor Instruments annual financial statements FY2024 (synthetic sample)"
    props.creator = "docproc samples/make_samples.py"
    props.subject = SYNTHETIC_NOTICE
    props.created = datetime(2025, 3, 1)
    workbook.save(str(path))
    _normalise_office_zip(path)


def _style_statement(sheet, bold, money: str, header_row: int) -> None:
    sheet["A1"].font = bold
    for cell in sheet[header_row]:
        cell.font = bold
    for row in sheet.iter_rows(min_row=header_row + 1):
        label = row[0].value or ""
        if all(cell.value is None for cell in row[1:]) or label.startswith(
            ("Total", "Net", "Gross", "Operating income", "Income before")
        ):
            row[0].font = bold
        for cell in row[1:]:
            cell.number_format = money
    sheet.column_dimensions["A"].width = 52
    for column in "BC":
        sheet.column_dimensions[column].width = 14


# --------------------------------------------------------------------------------------------


def _sections(text: str) -> list[tuple[str, list[str]]]:
    """Split a text block into (heading, [paragraph, ...]); see MSA_BODY for the format."""
    sections: list[tuple[str, list[str]]] = []
    for block in text.strip().split("\n\n"):
        joined = " ".join(line.strip() for line in block.splitlines())
        if joined.startswith("## "):
            sections.append((joined[3:], []))
        else:
            sections[-1][1].append(joined)
    return sections


def _normalise_office_zip(path: Path) -> None:
    """Rewrite an Office zip with fixed entry times and core-property dates (reproducible)."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    rb"\g<1>" + FIXED_CORE_TIME.encode() + rb"\g<3>",
                    data,
                )
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, data)
    path.write_bytes(buffer.getvalue())


def main(argv: list[str]) -> int:
    out = Path(argv[1]).resolve() if len(argv) > 1 else HERE
    out.mkdir(parents=True, exist_ok=True)
    writers = {
        "master-services-agreement.pdf": write_master_services_agreement,
        "discharge-summary.docx": write_discharge_summary,
        "financial-statement.xlsx": write_financial_statement,
    }
    for name, write in writers.items():
        write(out / name)
        print(f"{out / name}  {(out / name).stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
