"""The PDF fonts: Vazirmatn (npm package ``vazirmatn``, installed by ``make install``), or
DejaVu Sans (Debian's ``fonts-dejavu-core``) when Vazirmatn is absent. Both have the Persian
glyphs, Latin and digits. Registered once per process under the names ``FONT`` and
``FONT_BOLD``, whichever family was found, so the rest of the code never names a family.
"""

import threading
from pathlib import Path

from flask import current_app, has_app_context
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from crm.config import ROOT

FONT, FONT_BOLD = "CrmSans", "CrmSans-Bold"
# For letters Vazirmatn lacks (Cyrillic, Greek, Armenian, …: a partner's name in its own
# language), when DejaVu Sans is installed.
FALLBACK = {FONT: "CrmSans-Fallback", FONT_BOLD: "CrmSans-Fallback-Bold"}
VAZIRMATN = ROOT / "node_modules" / "vazirmatn" / "fonts" / "ttf"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FAMILIES = (
    ("Vazirmatn-Regular.ttf", "Vazirmatn-Bold.ttf"),
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
)

_lock = threading.Lock()
_registered: list[Path] = []  # the two files registered, once
_fallbacks: dict[str, str] = {}  # font: its fallback, when there is one


class FontsMissing(RuntimeError):
    """Neither Vazirmatn nor DejaVu Sans is installed: no PDF can show Persian."""


def font_files(folder: str | Path | None = None) -> tuple[Path, Path]:
    """The regular and bold files to use: Vazirmatn from ``folder`` (``CRM_PDF_FONTS``, else
    ``node_modules/vazirmatn/fonts/ttf``), else DejaVu Sans."""
    folders = [Path(folder)] if folder else [VAZIRMATN]
    folders.append(DEJAVU)
    for where in folders:
        for regular, bold in FAMILIES:
            if (where / regular).is_file() and (where / bold).is_file():
                return where / regular, where / bold
    raise FontsMissing(
        f"No font with Persian letters for PDFs: Vazirmatn-Regular.ttf and Vazirmatn-Bold.ttf "
        f"are not in {folders[0]} (run `make install`, which installs the npm package "
        f"vazirmatn, or set CRM_PDF_FONTS to a folder holding them), and DejaVu Sans is not in "
        f"{DEJAVU} (apt-get install fonts-dejavu-core)."
    )


def ensure_fonts() -> None:
    """Register ``FONT`` and ``FONT_BOLD`` once; the folder comes from the app's config when
    there is an app (``CRM_PDF_FONTS``)."""
    if _registered:
        return
    with _lock:
        if _registered:
            return
        folder = current_app.config.get("CRM_PDF_FONTS") if has_app_context() else None
        regular, bold = font_files(folder)
        pdfmetrics.registerFont(TTFont(FONT, str(regular)))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)
        extra = (DEJAVU / FAMILIES[1][0], DEJAVU / FAMILIES[1][1])
        if regular != extra[0] and all(path.is_file() for path in extra):
            pdfmetrics.registerFont(TTFont(FALLBACK[FONT], str(extra[0])))
            pdfmetrics.registerFont(TTFont(FALLBACK[FONT_BOLD], str(extra[1])))
            _fallbacks.update(FALLBACK)
        _registered.extend((regular, bold))


def fallback(font: str) -> str | None:
    """The font that draws what ``font`` lacks, if one is installed."""
    ensure_fonts()
    return _fallbacks.get(font)


def family() -> str:
    """The registered family's file name (``Vazirmatn-Regular.ttf``), for tests and reports."""
    ensure_fonts()
    return _registered[0].name
