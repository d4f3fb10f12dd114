"""The one rule for text typed or imported into a field: only what can be seen.

Control characters (NUL, line breaks in a one-line field, the ESC that starts a
terminal colour code) and the characters that reverse how text is shown (U+202E
RIGHT-TO-LEFT OVERRIDE and its kind) are refused wherever text comes in: the
intake form, the import, the command line. A name must also hold at least one
letter a person can see, so a surname of zero-width spaces is refused too.
"""

from __future__ import annotations

import unicodedata

# Embeddings, overrides and isolates: they reorder the text around them when it is shown.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\n\r\t")  # allowed in fields that hold several lines
_LINE_SEPARATORS = frozenset("\u2028\u2029")


def _code(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def text_problem(value: str, *, name: bool = False, lines: bool = False) -> str | None:
    """Why ``value`` cannot be kept as typed, in words, or None when it can.

    ``name``: a person's name, which must hold a visible letter. ``lines``: a field of several
    lines, where line breaks and tabs are allowed."""
    if value.isascii() and value.isprintable():
        # Nearly every value, checked at C speed (an import checks millions): printable ASCII holds
        # no control, reversing or line-separating character, and its letters are the alphabetic ones.
        if name and value.strip() and not any(char.isalpha() for char in value):
            return "has no visible letter: type the name itself"
        return None
    for char in value:
        if char in BIDI_CONTROLS:
            return f"contains an invisible character that reverses the text ({_code(char)}): type it again without it"
        category = unicodedata.category(char)
        if (category == "Cc" or char in _LINE_SEPARATORS) and not (lines and char in _LINE_BREAKS):
            what = "a line break" if char in "\n\r\u2028\u2029" else f"a control character ({_code(char)})"
            return f"contains {what}: type it again without it"
    if name and value.strip() and not any(unicodedata.category(char).startswith("L") for char in value):
        return "has no visible letter: type the name itself"
    return None


def shown_safely(value: str) -> str:
    """Text for a terminal or a report line: control and reversing characters written as
    escapes (\\x1b, \\u202e) instead of acting on the screen."""
    if all(char.isprintable() or char == " " for char in value):
        return value
    return "".join(
        char
        if (char.isprintable() or char == " ") and char not in BIDI_CONTROLS
        else f"\\x{ord(char):02x}"
        if ord(char) < 0x100
        else f"\\u{ord(char):04x}"
        for char in value
    )
