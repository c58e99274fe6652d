"""One look for every document the program hands on (transcript, receipt, renewal and audit letters):
the body's name and the document's title and date at the top of each page, page numbers at the
foot, one Unicode font shipped with the layer, and the same number and date formats everywhere.

The font is DejaVu Sans (Latin, Greek, Cyrillic, Vietnamese, typographic punctuation), with Droid
Sans Fallback for CJK (both free to embed: `fonts/LICENSE-*.txt`), so names and titles print as
typed. fpdf2 is imported when a document is made, never at a function's import.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fpdf import FPDF

BODY_NAME = "Certification Continuation Program"
FONT = "DejaVu"
_FALLBACK = "droidfallback"  # fpdf2 keys fonts in lower case
_CJK_FROM = 0x2E80  # CJK radicals onwards: what DejaVu Sans does not draw


def points(value: Decimal) -> str:
    """Points as every document prints them: two decimals (23.00)."""
    return f"{value:,.2f}"


def money(amount: Decimal, currency: str = "usd") -> str:
    symbol = "$" if currency.lower() == "usd" else f"{currency.upper()} "
    return f"{symbol}{amount:,.2f}"


def day(value: date | None) -> str:
    """Dates as the API and the emails write them (ISO 8601: 2026-04-15)."""
    return value.isoformat() if value else ""


def new_document(title: str, issued_on: date, *, footer_note: str = "") -> FPDF:
    """A Letter-size document with the program's header and footer on every page."""
    from fpdf import FPDF

    class Document(FPDF):
        def header(self) -> None:
            self.set_font(FONT, "B", 11)
            self.cell(0, 6, BODY_NAME, new_x="LMARGIN", new_y="NEXT")
            self.set_font(FONT, size=9)
            self.set_text_color(90, 90, 90)
            self.cell(0, 5, f"{title}  ·  {day(issued_on)}", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.set_draw_color(160, 160, 160)
            self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
            self.ln(5)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font(FONT, size=8)
            self.set_text_color(90, 90, 90)
            note = f"{footer_note}  ·  " if footer_note else ""
            self.cell(0, 8, f"{note}Page {self.page_no()} of {{nb}}", align="C")
            self.set_text_color(0, 0, 0)

    document = Document(format="Letter")
    with resources.as_file(resources.files("ccp") / "fonts") as folder:
        document.add_font(FONT, "", str(folder / "DejaVuSans.ttf"))
        document.add_font(FONT, "B", str(folder / "DejaVuSans-Bold.ttf"))
    document.set_title(title)
    document.set_author(BODY_NAME)
    document.alias_nb_pages()
    document.set_auto_page_break(auto=True, margin=20)
    return document


def _with_script_of(document: FPDF, texts: list[str]) -> None:
    """The CJK fallback font is added to a document only when its text needs it: reading the font
    costs ~0.2 s, and most transcripts and letters are in Latin script."""
    if _FALLBACK in document.fonts or not any(ord(c) >= _CJK_FROM for text in texts for c in text):
        return
    with resources.as_file(resources.files("ccp") / "fonts") as folder:
        document.add_font(_FALLBACK, "", str(folder / "DroidSansFallback.ttf"))
    document.set_fallback_fonts([_FALLBACK], exact_match=False)


def heading(document: FPDF, text: str) -> None:
    _with_script_of(document, [text])
    document.set_font(FONT, "B", 12)
    document.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    document.set_font(FONT, size=10)


def line(document: FPDF, text: str, *, size: int = 10, bold: bool = False) -> None:
    _with_script_of(document, [text])
    document.set_font(FONT, "B" if bold else "", size)
    document.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
    document.set_font(FONT, size=10)


def table(document: FPDF, rows: list[list[str]], widths: tuple[int, ...], *, headings: bool = True) -> None:
    _with_script_of(document, [cell for row in rows for cell in row])
    document.set_font(FONT, size=9)
    options: dict[str, Any] = {"col_widths": widths, "text_align": "LEFT", "line_height": 5}
    with document.table(first_row_as_headings=headings, **options) as drawn:
        for row in rows:
            drawn.row(row)
    document.set_font(FONT, size=10)


def finished(document: FPDF) -> bytes:
    return bytes(document.output())
