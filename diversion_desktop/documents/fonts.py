"""The embedded typeface: DejaVu Sans, registered once per process.

The built-in PDF fonts cover Latin-1 only, so "Łukasz Đorđević" or a Greek or
Cyrillic name would print as black boxes. DejaVu Sans covers what people type;
the TTF files ship under ``resources/fonts/`` (with their licence) so an
installation does not depend on the fonts of the machine.

Speed: reportlab embeds, per document, subsets of the glyphs it used, and
building one (the font program, its compression, the widths and the
character map) costs a few milliseconds, more than the rest of a letter. So:

* every document's first subset is *primed* with the same characters (ASCII,
  which reportlab always includes, plus the accented Latin letters and the
  typographic punctuation letters commonly need): it is then the same from
  letter to letter, at the price of some 18 KB more font in each PDF (a
  one-page letter is about 63 KB);
* the finished PDF pieces of each subset are kept, keyed by its characters,
  and written out again as they are;
* the width of each word is kept (line breaking measures the same words
  again and again), and text whose characters all have a code already is
  encoded in one step.

Characters outside the primer (Greek, Cyrillic, ...) go into further subsets,
built as usual (and kept too, while there is room). The output is the same
PDF reportlab would write, with the primed characters in the first subset.
"""

from __future__ import annotations

import copy
import sys
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import (
    FF_NONSYMBOLIC,
    FF_SYMBOLIC,
    SUBSETN,
    TTFont,
    makeToUnicodeCMap,
)

from diversion_desktop.resources import resource_path

BODY = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FAMILY = "DejaVuSans-Family"
_FILES = {BODY: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}

# Filled into every document's first subset, in this order (at most 159
# characters: the first subset holds 256 codes, ASCII and code 0 take 97).
PRIMER = (
    "\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u20ac\u00a3\u00b7\u00ab\u00bb\u00b0"
    "\u00e0\u00e1\u00e2\u00e3\u00e4\u00e5\u00e6\u00e7\u00e8\u00e9\u00ea\u00eb\u00ec\u00ed\u00ee\u00ef"
    "\u00f0\u00f1\u00f2\u00f3\u00f4\u00f5\u00f6\u00f8\u00f9\u00fa\u00fb\u00fc\u00fd\u00fe\u00ff\u00df"
    "\u00c0\u00c1\u00c2\u00c3\u00c4\u00c5\u00c6\u00c7\u00c8\u00c9\u00ca\u00cb\u00cc\u00cd\u00ce\u00cf"
    "\u00d0\u00d1\u00d2\u00d3\u00d4\u00d5\u00d6\u00d8\u00d9\u00da\u00db\u00dc\u00dd\u00de"
    # Polish, Czech, Slovak, Croatian, Serbian (Latin), Hungarian, Romanian,
    # Turkish, Baltic: the Latin Extended-A/B letters UK names most often carry.
    "\u0105\u0107\u0119\u0142\u0144\u015b\u017a\u017c\u0104\u0106\u0118\u0141\u0143\u015a\u0179\u017b"
    "\u010d\u010f\u011b\u0148\u0159\u0161\u0165\u016f\u017e\u010c\u010e\u011a\u0147\u0158\u0160\u0164"
    "\u016e\u017d\u0111\u0110\u0151\u0171\u0150\u0170\u0103\u0102\u0219\u021b\u0218\u021a\u015f\u015e"
    "\u011f\u011e\u0131\u0130\u0101\u0113\u012b\u016b\u0100\u0112\u012a\u016a\u0117\u012f\u0173\u0116"
    "\u012e\u0172\u0137\u013c\u0146\u0123\u0136\u013b\u0145\u0122"
)

_lock = threading.Lock()
_registered: list[_EmbeddedFont] = []
_SUBSETS_KEPT = 64
_WORDS_KEPT = 50_000


class _PrimerKey:
    """Stands in for a document while the primed state is made."""


class _Formatted(pdfdoc.PDFObject):
    """A piece of PDF formatted once and written out as it is."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document: object) -> bytes:
        return self.data


@dataclass(frozen=True)
class _SubsetPieces:
    base_name: str
    widths: bytes  # the formatted /Widths array
    cmap: bytes
    cmap_compressed: bytes
    program: bytes  # the subset's TrueType font program
    program_compressed: bytes


def _stream(
    raw: bytes, compressed: bytes, compression: bool | int | None, length1: int | None = None
) -> pdfdoc.PDFStream:
    stream = pdfdoc.PDFStream()
    if length1 is not None:
        stream.dictionary["Length1"] = length1
    if compression:
        stream.content = compressed
        stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
    else:
        stream.content = raw
    return stream


class _EmbeddedFont(TTFont):
    """A TrueType font that keeps the PDF objects of the subsets it has embedded.

    ``addObjects`` mirrors ``TTFont.addObjects`` (and ``TTFontFace.addSubsetObjects``)
    of reportlab 4/5; only where the pieces come from differs.

    Why not reportlab's plain ``TTFont``: benchmarks/letters.py (reportlab 5.1, the shared
    2-core machine, 100 runs a kind) measured one appointment letter at a median of 4.9-6.6 ms
    with the plain ``TTFont`` (p90 11.5-12.4 ms; a referral letter 5.5-8.4 ms) against the
    target of 5 ms, and 1.8-1.9 ms with this class (a referral letter 2.4-2.5 ms). With the
    primer but reportlab's own ``addObjects`` it was 9.9 ms: the primed subset is then built
    again for every letter. 1,000 letters merged meet their 5 s either way (1.6-2.0 s).
    """

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        self._kept: OrderedDict[tuple[int, tuple[int, ...]], _SubsetPieces] = OrderedDict()
        # The per-document state after the primer, made once and copied.
        key = _PrimerKey()
        self.splitString(PRIMER, key)
        self._primed = self.state.pop(key)
        self._char_widths = self.face.charWidths
        self._word_widths: dict[str | bytes, float] = {}

    def stringWidth(self, text: str | bytes, size: float, encoding: str = "utf8") -> float:  # noqa: N802 (reportlab's name)
        """Width in points. Line breaking measures the same words over and over, so
        the width of each word (in font units) is kept; reportlab's own version
        sums the characters every time."""
        units = self._word_widths.get(text)
        if units is None:
            if isinstance(text, bytes):
                text = text.decode(encoding or "utf8")
            get, default = self._char_widths.get, self.face.defaultWidth
            units = sum([get(ord(char), default) for char in text])
            if len(self._word_widths) >= _WORDS_KEPT:
                self._word_widths.clear()
            self._word_widths[text] = units
        return 0.001 * size * units

    def splitString(  # noqa: N802 (reportlab's name)
        self, text: str | bytes, doc: object, encoding: str = "utf-8"
    ) -> list[tuple[int, bytes]]:
        """Text to (subset, codes) runs. Quick when every character already has a code in
        the first subset (the primer makes that the usual case); otherwise reportlab's own."""
        state = self.state.get(doc)
        if state is not None and isinstance(text, str) and text:
            assigned = state.assignments  # type: ignore[attr-defined]  # reportlab's; not in the stubs
            try:
                return [(0, bytes([assigned[32 if char == "\u00a0" else ord(char)] for char in text]))]
            except (KeyError, ValueError):  # a new character, or one in a later subset
                pass
        return super().splitString(text, doc, encoding)

    def prime(self, doc: object) -> None:
        """Start ``doc`` with the standard first subset (a copy of the primed state)."""
        template = self._primed
        state = copy.copy(template)
        state.assignments = dict(template.assignments)  # type: ignore[attr-defined]  # as above
        state.subsets = [list(subset) for subset in template.subsets]
        self.state[doc] = state

    def _pieces(self, n: int, subset: list[int], doc: object) -> _SubsetPieces:
        key = (n, tuple(subset))
        pieces = self._kept.get(key)
        if pieces is not None:
            self._kept.move_to_end(key)
            return pieces
        face = self.face
        base_name = (b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX))).decode("pdfdoc")
        widths = pdfdoc.PDFArray([face.getCharWidth(code) for code in subset]).format(doc)
        cmap = makeToUnicodeCMap(base_name, subset).encode("latin-1")
        program = face.makeSubset(subset)
        pieces = _SubsetPieces(base_name, widths, cmap, zlib.compress(cmap), program, zlib.compress(program))
        self._kept[key] = pieces
        if len(self._kept) > _SUBSETS_KEPT:
            self._kept.popitem(last=False)
        return pieces

    def addObjects(self, doc: pdfdoc.PDFDocument) -> None:  # noqa: N802 (reportlab's name)
        state = self.state.get(doc)
        if state is None:  # set in this document but never written with: reportlab's own
            super().addObjects(doc)
            return
        state.frozen = 1
        face = self.face
        for n, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(n, doc)[1:]
            pieces = self._pieces(n, subset, doc)
            base_name = pieces.base_name

            font_file = _stream(pieces.program, pieces.program_compressed, doc.compression, length1=len(pieces.program))
            font_file_ref = doc.Reference(font_file, f"fontFile:{face.filename}({base_name})")
            descriptor = pdfdoc.PDFDictionary(
                {
                    "Type": "/FontDescriptor",
                    "Ascent": face.ascent,
                    "CapHeight": face.capHeight,
                    "Descent": face.descent,
                    "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                    "FontBBox": pdfdoc.PDFArray(face.bbox),
                    "FontName": pdfdoc.PDFName(base_name),
                    "ItalicAngle": face.italicAngle,
                    "StemV": face.stemV,
                    "FontFile2": font_file_ref,
                    "MissingWidth": face.defaultWidth,
                }
            )

            # a PDF object's keys are set as attributes, which reportlab's stubs do not list
            pdf_font: Any = pdfdoc.PDFTrueTypeFont()
            pdf_font.__Comment__ = f"Font {self.fontName} subset {n}"
            pdf_font.Name = internal_name
            pdf_font.BaseFont = base_name
            pdf_font.FirstChar = 0
            pdf_font.LastChar = len(subset) - 1
            pdf_font.Widths = _Formatted(pieces.widths)
            pdf_font.ToUnicode = doc.Reference(
                _stream(pieces.cmap, pieces.cmap_compressed, doc.compression), "toUnicodeCMap:" + base_name
            )
            pdf_font.FontDescriptor = doc.Reference(descriptor, "fontDescriptor:" + base_name)
            doc.Reference(pdf_font, internal_name)
            cast(pdfdoc.PDFDictionary, doc.idToObject["BasicFonts"]).dict[internal_name] = pdf_font
        del self.state[doc]


# Where else DejaVu may be, should an installation's own resources folder
# (DIVERSION_RESOURCES) hold only scheme files: Debian/Ubuntu's fonts-dejavu-core (Linux only).
_SYSTEM_FONTS = [Path("/usr/share/fonts/truetype/dejavu")] if sys.platform.startswith("linux") else []


def _load(name: str) -> _EmbeddedFont:
    candidates = [resource_path("fonts", _FILES[name])] + [folder / _FILES[name] for folder in _SYSTEM_FONTS]
    for path in candidates:
        if path.is_file():
            return _EmbeddedFont(name, str(path))
    raise FileNotFoundError(
        f"The letter font {_FILES[name]} is missing: looked in "
        f"{', '.join(str(p.parent) for p in candidates)} (reinstall the application)."
    )


def register_fonts() -> None:
    """Register DejaVu Sans and Sans Bold with reportlab; cheap after the first call."""
    if _registered:
        return
    with _lock:
        if _registered:
            return
        fonts = [_load(BODY), _load(BOLD)]
        for font in fonts:
            pdfmetrics.registerFont(font)
        # <b> inside a paragraph picks the bold face; there is no italic in the letters.
        pdfmetrics.registerFontFamily(FAMILY, normal=BODY, bold=BOLD, italic=BODY, boldItalic=BOLD)
        pdfmetrics.registerFontFamily(BODY, normal=BODY, bold=BOLD, italic=BODY, boldItalic=BOLD)
        _registered.extend(fonts)


def prime(pdf_document: object) -> None:
    """Give a new PDF document the standard first subset (see the module docstring)."""
    for font in _registered:
        font.prime(pdf_document)
