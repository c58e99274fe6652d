"""The CE transcript as JSON, CSV or a printable PDF (fpdf2)."""

from __future__ import annotations

import csv
import io
from typing import Any

from ccp.api import points_json
from ccp.pdf_text import latin1
from record_ce.service import Transcript

CSV_COLUMNS = [
    "credential",
    "cycle_start",
    "cycle_end",
    "activity_id",
    "category",
    "title",
    "provider",
    "start_date",
    "end_date",
    "points",
    "eligible_points",
]


def as_json(transcript: Transcript) -> dict[str, Any]:
    member = transcript.member
    return {
        "member_id": member.member_id,
        "name": f"{member.first_name} {member.last_name}",
        "generated_on": transcript.generated_on.isoformat(),
        "sections": [
            {
                "credential": s.credential,
                "cycle_start": s.cycle.start.isoformat(),
                "cycle_end": s.cycle.end.isoformat(),
                "required_points": points_json(s.progress.required_points),
                "recorded_points": points_json(s.progress.recorded_points),
                "counted_points": points_json(s.progress.counted_points),
                "remaining_points": points_json(s.progress.remaining_points),
                "activities": [
                    {
                        "activity_id": a.activity_id,
                        "category": a.category.value,
                        "title": a.title,
                        "provider": a.provider,
                        "start_date": a.start_date.isoformat(),
                        "end_date": a.end_date.isoformat(),
                        "points": points_json(a.points),
                        "eligible_points": points_json(a.eligible[s.credential]),
                    }
                    for a in s.activities
                ],
            }
            for s in transcript.sections
        ],
    }


def as_csv(transcript: Transcript) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for s in transcript.sections:
        for a in s.activities:
            writer.writerow(
                [
                    s.credential,
                    s.cycle.start,
                    s.cycle.end,
                    a.activity_id,
                    a.category.value,
                    _safe_cell(a.title),
                    _safe_cell(a.provider or ""),
                    a.start_date,
                    a.end_date,
                    a.points,
                    a.eligible[s.credential],
                ]
            )
    return out.getvalue()


def _safe_cell(text: str) -> str:
    # A title typed by a member must not run as a formula when staff open the CSV in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_pdf(transcript: Transcript) -> bytes:
    from fpdf import (
        FPDF,  # imported when a PDF is asked for: it would double every cold start
    )

    member = transcript.member
    pdf = FPDF(format="Letter")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Continuing Education Transcript", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.cell(
        0,
        6,
        latin1(f"{member.first_name} {member.last_name}  (member {member.member_id})"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(0, 6, f"Generated {transcript.generated_on.isoformat()}", new_x="LMARGIN", new_y="NEXT")
    for s in transcript.sections:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(
            0,
            8,
            f"{s.credential}: CCP cycle {s.cycle.start.isoformat()} to {s.cycle.end.isoformat()}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("Helvetica", size=10)
        p = s.progress
        pdf.cell(
            0,
            6,
            f"Required {p.required_points}   Recorded {p.recorded_points}   Counted {p.counted_points}   "
            f"Remaining {p.remaining_points}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        if not s.activities:
            pdf.cell(0, 6, "No activities recorded in this cycle.", new_x="LMARGIN", new_y="NEXT")
            continue
        with pdf.table(col_widths=(22, 22, 34, 70, 16, 16), text_align="LEFT", line_height=5) as table:
            table.row(["Start", "End", "Category", "Title / provider", "Points", "Counted"])
            for a in s.activities:
                title = a.title if not a.provider else f"{a.title} / {a.provider}"
                table.row(
                    [
                        a.start_date.isoformat(),
                        a.end_date.isoformat(),
                        a.category.value.replace("_", " "),
                        latin1(title),
                        str(a.points),
                        str(a.eligible[s.credential]),
                    ]
                )
    return bytes(pdf.output())
