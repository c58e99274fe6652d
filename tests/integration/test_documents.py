"""The documents people hand on, read back as text: the transcript's rows add up to `progress` for
every demo member, names and titles in any script print as typed, and every kind (transcript,
receipt, letters) has the same look: the body's name, the document's date, page numbers."""

import io
from datetime import UTC, datetime
from decimal import Decimal

import boto3
import pytest
from pypdf import PdfReader

from ccp.documents import BODY_NAME
from ccp_local.events import member_claims
from ccp_local.inprocess import deployed_stack
from tests.integration.renewal_helpers import RECORD_CE, chicago, letters, new_member

SEEDED_AT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@pytest.fixture
def stack():
    with deployed_stack() as deployed:
        yield deployed


def pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)


def get(stack, member_id: str, suffix: str, accept: str = "application/json", at=SEEDED_AT) -> dict:
    return stack.api(
        RECORD_CE,
        "GET",
        "/members/{member_id}" + suffix,
        f"/members/{member_id}{suffix}",
        claims=member_claims(member_id),
        at=at,
        headers={"Accept": accept},
    )


def pdf_of(response: dict) -> bytes:
    import base64

    assert response["statusCode"] == 200, response
    return base64.b64decode(response["body"]) if response.get("isBase64Encoded") else response["body"].encode("latin-1")


def every_member_id(stack) -> list[str]:
    client = boto3.client("dynamodb")
    ids, start = [], None
    while True:
        page = client.scan(
            TableName=stack.table_name,
            FilterExpression="sk = :profile",
            ExpressionAttributeValues={":profile": {"S": "STATE#PROFILE"}},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        ids += [item["member_id"]["S"] for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return ids


def test_the_transcripts_rows_add_up_to_progress_for_every_demo_member(stack):
    from ccp_local.seed import seed

    seed(stack.table_name, synthetic=200, now=SEEDED_AT)
    members = every_member_id(stack)
    assert len(members) >= 200
    capped = 0
    for member_id in members:
        transcript = get(stack, member_id, "/transcript")["json"]
        progress = {c["credential"]: c for c in get(stack, member_id, "/progress")["json"]}
        for section in transcript["sections"]:
            shown = progress[section["credential"]]
            rows = section["activities"]
            counted = sum((Decimal(str(a["counted_points"])) for a in rows), Decimal(0))
            assert counted == Decimal(str(section["counted_points"])) == Decimal(str(shown["counted_points"]))
            for category, summary in section["by_category"].items():
                mine = [a for a in rows if a["category"] == category]
                assert sum((Decimal(str(a["counted_points"])) for a in mine), Decimal(0)) == Decimal(
                    str(summary["counted"])
                )
                assert Decimal(str(summary["counted"])) == Decimal(str(shown["by_category"][category]["counted"]))
            for a in rows:
                assert Decimal(str(a["counted_points"])) + Decimal(str(a["not_counted_points"])) == Decimal(
                    str(a["points"])
                )
                assert (a["not_counted_reason"] is None) == (a["not_counted_points"] == 0)
                assert a["earned_not_counted"] == a["not_counted_points"]  # the contract's name for it
                capped += "cap" in (a["not_counted_reason"] or "")
    assert capped > 0  # the demo seed has members over a category's cap (Maria Santos' authorship)


def test_maria_santos_capped_authorship_row_shows_what_counts_and_why_the_rest_does_not(stack):
    from ccp_local.seed import seed

    maria = next(d for d in seed(stack.table_name, synthetic=0, now=SEEDED_AT) if d.name == "Maria Santos")
    text = pdf_text(pdf_of(get(stack, maria.member_id, "/transcript", "application/pdf")))
    progress = get(stack, maria.member_id, "/progress")["json"][0]
    assert f"Counted {Decimal(str(progress['counted_points'])):.2f}" in text
    assert "Authorship of Written Works" in text  # the category as members know it, not its code
    assert "authorship" not in text
    assert "over the category's cap" in text and "Earned, not counted" in text
    assert BODY_NAME in text and "Continuing Education Transcript" in text and "Page 1 of " in text
    # An employer handed the transcript can check the credentials themselves, on the public page.
    assert f"/portal/verify?id={maria.member_id}" in text.replace("\n", "")


def test_names_and_titles_in_any_script_print_as_typed(stack):
    member = new_member(stack, first_name="Łucja", last_name="Nguyễn Thị Minh", email="lucja@example.org")
    title = "感染管理 “Infection control” – Żółć"
    response = member.record(chicago("2025-06-02T10:00"), points=2, title=title, end_date="2025-06-01")
    assert response["statusCode"] == 201, response
    text = pdf_text(
        pdf_of(get(stack, member.member_id, "/transcript", "application/pdf", at=chicago("2025-06-03T10:00")))
    )
    assert "Łucja Nguyễn Thị Minh" in text
    assert "感染管理" in text and "“Infection control” – Żółć" in text
    # No character replaced by "?" (the verification address's own "?id=" aside).
    assert "?" not in text.replace(f"?id={member.member_id}", "")


def test_a_receipt_and_a_letter_have_the_same_look(stack):
    member = new_member(stack, first_name="Zoë", last_name="Ørsted", email="zoe@example.org")
    stack.job("renewal_notices", chicago("2025-04-01T06:00"))
    paid = member.pay("RMA-20250415", chicago("2025-04-02T10:00"), reference="1042")
    assert paid["statusCode"] == 201, paid
    receipt = pdf_text(
        pdf_of(member.receipt("RMA-20250415", chicago("2025-04-03T10:00"), headers={"Accept": "application/pdf"}))
    )
    assert BODY_NAME in receipt and "Receipt" in receipt and "Page 1 of 1" in receipt
    assert "Zoë Ørsted" in receipt and "$50.00 USD" in receipt and "2025-04-02" in receipt
    [row] = letters(stack, "renewal_due")
    [batch] = [k for k in stack.batch_keys() if k.startswith("mail-batches/2025-04-01/") and k.endswith(".pdf")]
    letter = pdf_text(stack.read(batch))
    assert BODY_NAME in letter and "Notice" in letter and "2025-04-01" in letter and "Page 1 of 1" in letter
    assert "Zoë Ørsted" in letter and row[1] == member.member_id
