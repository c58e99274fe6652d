"""The CE transcript as JSON, CSV or a printable PDF (fpdf2)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from defusedcsv import csv  # every cell: a leading = + - @ | % cannot run as a formula

from ccp.api import points_json
from ccp.documents import day, finished, heading, line, new_document, points, table
from ccp.rules.ce import AFTER_CUTOFF, BEFORE_CYCLE, OVER_CAP
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
    "counted_points",
    "not_counted_points",
    "not_counted_reason",
    "earned_not_counted",  # the contract's name (API.md); the same figure as not_counted_points
    # The not-counted points split by reason; the three add up to not_counted_points.
    "not_counted_before_cycle",
    "not_counted_after_cutoff",
    "not_counted_over_cap",
]

# Why part of an activity is earned but not counted, in the words the documents use.
REASONS = {
    BEFORE_CYCLE: "employment before the cycle started",
    AFTER_CUTOFF: "employment after the cut-off date",
    OVER_CAP: "over the category's cap",
}


def _reason(parts: dict[str, Decimal]) -> str:
    """Each part with its own reason: "1.50 employment before the cycle started; 2 over the category's cap"."""
    return "; ".join(f"{points(amount)} {REASONS[reason]}" for reason, amount in parts.items())


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
                "by_category": {
                    category.value: {
                        "label": s.category_labels[category],
                        "recorded": points_json(row.recorded),
                        "counted": points_json(row.counted),
                        "cap": points_json(row.cap) if row.cap is not None else None,
                    }
                    for category, row in s.progress.by_category.items()
                },
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
                        "counted_points": points_json(counted.counted),
                        "not_counted_points": points_json(counted.not_counted),
                        "not_counted_reason": _reason(counted.parts) or None,
                        "earned_not_counted": points_json(counted.not_counted),  # the contract's name
                        "not_counted_by_reason": {reason: points_json(v) for reason, v in counted.parts.items()},
                    }
                    for a, counted in zip(s.activities, s.counted, strict=True)
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
        for a, counted in zip(s.activities, s.counted, strict=True):
            writer.writerow(
                [
                    s.credential,
                    s.cycle.start,
                    s.cycle.end,
                    a.activity_id,
                    a.category.value,
                    a.title,
                    a.provider or "",
                    a.start_date,
                    a.end_date,
                    a.points,
                    a.eligible[s.credential],
                    counted.counted,
                    counted.not_counted,
                    _reason(counted.parts),
                    counted.not_counted,
                    *(counted.parts.get(reason, 0) for reason in (BEFORE_CYCLE, AFTER_CUTOFF, OVER_CAP)),
                ]
            )
    return out.getvalue()


def as_pdf(transcript: Transcript, portal_url: str | None = None) -> bytes:
    """The printable transcript; with the portal's address, it says where anyone can verify the
    member's credentials (the public page, no account needed)."""
    member = transcript.member
    name = f"{member.first_name} {member.last_name}"
    document = new_document(
        "Continuing Education Transcript", transcript.generated_on, footer_note=f"Member {member.member_id}"
    )
    document.add_page()
    line(document, name, size=14, bold=True)
    line(document, f"Member {member.member_id}")
    if portal_url:
        line(document, f"Verify this member's credentials at {verify_url(portal_url, member.member_id)}")
    for s in transcript.sections:
        p = s.progress
        document.ln(4)
        heading(document, f"{s.credential}: CCP cycle {day(s.cycle.start)} to {day(s.cycle.end)}")
        line(
            document,
            f"Required {points(p.required_points)}  ·  Recorded {points(p.recorded_points)}  ·  "
            f"Counted {points(p.counted_points)}  ·  Remaining {points(p.remaining_points)}",
        )
        if p.recorded_points > p.counted_points:
            line(document, f"Earned, not counted: {points(p.recorded_points - p.counted_points)} (see the rows below).")
        if not s.activities:
            line(document, "No activities recorded in this cycle.")
            continue
        rows = [["Completed", "Category", "Activity", "Points", "Counted", "Earned, not counted"]]
        for a, counted in zip(s.activities, s.counted, strict=True):
            title = a.title if not a.provider else f"{a.title} ({a.provider})"
            not_counted = _reason(counted.parts)
            rows.append(
                [
                    day(a.end_date),
                    s.category_labels[a.category],
                    title,
                    points(a.points),
                    points(counted.counted),
                    not_counted,
                ]
            )
        rows.append(["", "", "Total", points(p.recorded_points), points(p.counted_points), ""])
        table(document, rows, (22, 34, 62, 18, 18, 42))
        document.ln(2)
        summary = [["Category", "Recorded", "Counted", "Cap per cycle"]]
        for category, row in p.by_category.items():
            if row.recorded or row.counted:
                cap = points(row.cap) if row.cap is not None else "none"
                summary.append([s.category_labels[category], points(row.recorded), points(row.counted), cap])
        table(document, summary, (70, 30, 30, 40))
    return finished(document)


def verify_url(portal_url: str, member_id: str) -> str:
    """The public verification page for one member (the portal's /portal/verify)."""
    return f"{portal_url.rstrip('/')}/portal/verify?id={member_id}"
