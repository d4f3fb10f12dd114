"""Reasons and other free text typed for a data-protection action: checked once, the same way.

Text is always stored as typed (the database is reached through bound parameters, and documents
draw text without reading it as markup), so "'; DROP TABLE people; --" is just a reason. What is
refused is what cannot be read back sensibly: nothing at all, a NUL character, or more than
``MAX_REASON`` characters (a reason is a sentence or two, not a pasted file).
"""

from __future__ import annotations

from diversion_desktop.services.errors import ValidationError

MAX_REASON = 2000


def clean_reason(
    text: str | None, field: str = "reason", what: str = "this", required: bool = True, limit: int = MAX_REASON
) -> str:
    """``text`` stripped, or ValidationError on ``field`` saying what is wrong."""
    value = (text or "").strip()
    if required and not value:
        raise ValidationError({field: f"Give the reason for {what}."})
    if len(value) > limit:
        raise ValidationError(
            {field: f"The reason is too long ({len(value):,} characters): at most {limit:,} are kept. Shorten it."}
        )
    if "\x00" in value:
        raise ValidationError(
            {
                field: "The reason contains a NUL character, which cannot be stored: "
                "type it again rather than pasting it."
            }
        )
    return value
