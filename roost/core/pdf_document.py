"""A plain text PDF document (a title, headings, lines of text) for the reports Roost
writes: the post-incident report, an access review's report.

It writes with a font that has the Latin Extended letters (Polish, Czech...) when the
machine has one (`ROOST_PDF_FONT`, else DejaVu Sans where Debian puts it); the PDF's
built-in fonts stop at Latin-1, so without one, letters lose their accents.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from fpdf import FPDF

FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)


def _font() -> str | None:
    configured = getattr(settings, "ROOST_PDF_FONT", "")
    for candidate in (configured, *FONT_PATHS):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def plain(text: str) -> str:
    """Text the built-in fonts can write: accents dropped, anything else replaced."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return folded.replace("ł", "l").replace("Ł", "L").encode("latin-1", "replace").decode("latin-1")


class PdfDocument:
    """An A4 document that starts with its title; then `heading` and `line` in order,
    and `output` for the file's bytes."""

    def __init__(self, title: str) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(title)
        self.pdf.set_creator("Roost")
        font = _font()
        self.clean: Callable[[str], str]
        if font:
            self.pdf.add_font("body", "", font)
            self.family, self.clean = "body", (lambda s: s)
        else:
            self.family, self.clean = "Helvetica", plain
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_page()
        self.width = self.pdf.w - self.pdf.l_margin - self.pdf.r_margin
        self.pdf.set_font(self.family, size=18)
        self._cell(10, title)
        self.pdf.set_font(self.family, size=10)

    def _cell(self, height: float, text: str) -> None:
        self.pdf.multi_cell(self.width, height, self.clean(text), new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        self.pdf.ln(3)
        self.pdf.set_font(self.family, size=14)
        self._cell(8, text)
        self.pdf.set_font(self.family, size=10)

    def line(self, text: str) -> None:
        self._cell(5, text)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
