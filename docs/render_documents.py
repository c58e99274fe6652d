"""Page 1 of each document kind as a picture, for review: `.venv/bin/python docs/render_documents.py`
(needs `pdftoppm`, Debian's poppler-utils). Writes docs/documents/<kind>.pdf and <kind>.png from the
demo seed in embedded AWS: the transcript of Maria Santos, a receipt, a renewal letter."""

import base64
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "functions"), str(ROOT / "shared"), str(ROOT / "local")]
os.environ.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "docs")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "CCP")

OUT = ROOT / "docs" / "documents"


def main() -> None:
    from ccp_local.emulator.embedded import embedded_dynamodb
    from ccp_local.events import member_claims
    from ccp_local.inprocess import deployed_stack
    from ccp_local.seed import seed
    from tests.integration.renewal_helpers import RECORD_CE, chicago, new_member

    embedded_dynamodb()
    OUT.mkdir(exist_ok=True)
    with deployed_stack() as stack:
        maria = next(d for d in seed(stack.table_name, synthetic=0, now=datetime(2026, 11, 30, tzinfo=UTC)))
        transcript = stack.api(
            RECORD_CE,
            "GET",
            "/members/{member_id}/transcript",
            f"/members/{maria.member_id}/transcript",
            claims=member_claims(maria.member_id),
            at=datetime(2026, 11, 30, 15, tzinfo=UTC),
            headers={"Accept": "application/pdf"},
        )
        member = new_member(stack, first_name="Zoë", last_name="Ørsted", email="zoe@example.org")
        stack.job("renewal_notices", chicago("2025-04-01T06:00"))
        member.pay("RMA-20250415", chicago("2025-04-02T10:00"), reference="1042")
        receipt = member.receipt("RMA-20250415", chicago("2025-04-03T10:00"), headers={"Accept": "application/pdf"})
        [letter] = [k for k in stack.batch_keys() if k.endswith(".pdf")]
        documents = {
            "transcript": base64.b64decode(transcript["body"]),
            "receipt": base64.b64decode(receipt["body"]),
            "renewal-letter": stack.read(letter),
        }
    for kind, body in documents.items():
        (OUT / f"{kind}.pdf").write_bytes(body)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "70",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(OUT / f"{kind}.pdf"),
                str(OUT / kind),
            ],
            check=True,
        )
        print(f"docs/documents/{kind}.png")


if __name__ == "__main__":
    main()
