"""Pictures of three notices as members get them, made from the life of tests/unit/test_notice_words.py:
two emails (their HTML part, on a phone's width, in Debian's Chromium) and a letter (a page of its print
batch's PDF).

    .venv/bin/python docs/notices/pictures.py            # the emails
    .venv/bin/python docs/notices/pictures.py --letter   # and the letter: needs `pip install pypdfium2 pillow`

The words come from infra/template.yaml, as SES and the print batches take them; rerun after changing them.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "shared"), str(ROOT / "local"), str(ROOT)]
HERE = Path(__file__).resolve().parent
EMAILS = {"cycle_ending": "Ann Bee", "status_changed": "Ann Bee"}  # kind -> whose email
LETTER = "application_rejected"  # Bea's address bounced: her decisions came by post
PAGE = """<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<style>body{{font:16px/1.5 -apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b}}
header{{background:#f2f4f7;padding:12px 16px;border-bottom:1px solid #d0d5dd;font-size:14px}}
main{{padding:8px 16px}}</style>
<header><b>{subject}</b><br>From: Certification Continuation Program</header><main>{html}</main>"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--letter", action="store_true", help="also the letter (needs pypdfium2 and pillow)")
    args = parser.parse_args()

    from ccp.notices import render
    from tests.support.browser import chromium
    from tests.support.notice_words import ses_words
    from tests.unit.test_notice_words import live_four_years

    program = live_four_years()
    claims = list(program.store.claims.values())
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
        for kind, name in EMAILS.items():
            claim = next(c for c in claims if c.kind == kind and c.channel == "email" and c.contact.name == name)
            words, data = ses_words()[kind], claim.data | {"portal_url": "https://portal.example.org"}
            page.set_content(PAGE.format(subject=render(words["subject"], data), html=render(words["html"], data)))
            page.screenshot(path=str(HERE / f"email-{kind}.png"), full_page=True)
    if args.letter:
        import pypdfium2

        batch = next(
            body
            for key, body in program.batches.objects.items()
            if key.endswith(".pdf") and LETTER.encode() in _manifest(program, key)
        )
        pdf = pypdfium2.PdfDocument(io.BytesIO(batch))
        pdf[0].render(scale=1.5).to_pil().save(HERE / f"letter-{LETTER}.png")


def _manifest(program, pdf_key: str) -> bytes:
    return program.batches.objects.get(pdf_key.removesuffix(".pdf") + ".csv", b"")


if __name__ == "__main__":
    main()
