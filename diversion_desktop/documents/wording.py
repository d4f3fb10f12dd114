"""How the facts are put into words: lists, counts, addresses and phone numbers.

Plain strings in, plain strings out; the document modules build sentences with
these so that every letter says a thing the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from diversion_desktop.documents.data import Party, SubstanceFound
from diversion_desktop.documents.dates import quantity
from diversion_desktop.domain.schemes import Centre, Contact

NOT_RECORDED = "Not recorded"


def guardian_name(guardian: Party | None) -> str:
    """How a parent or guardian is named in ``Copy to``: ``Anna Smith (mother)``."""
    if guardian is None or not guardian.name:
        return ""
    return f"{guardian.name} ({guardian.relationship})" if guardian.relationship else guardian.name


def substances_text(substances: Sequence[SubstanceFound]) -> str:
    """``Cannabis (herbal), 3.5 g; Cocaine, 0.5 g``: for tables."""
    return "; ".join(f"{s.label}, {quantity(s.quantity, s.unit)}" for s in substances) or "A controlled drug"


def substance_names(substances: Sequence[SubstanceFound]) -> str:
    """``cannabis (herbal) and cocaine``: for sentences (``MDMA`` keeps its capitals)."""
    names = [_sentence_case(s.label) for s in substances]
    return _and_list(names) or "a controlled drug"


def _sentence_case(label: str) -> str:
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def at_place(place: str) -> str:
    """`` at Northbrook Street`` to follow "found you with ...", or nothing when no place was
    recorded: a letter never says "at ."."""
    place = place.strip()
    return f" at {place}" if place else ""


def phone_or_contact(contact: Contact, capital: bool = False) -> str:
    """``phone 101``, or ``contact <name>`` when the settings give no phone number."""
    text = f"phone {tel(contact.phone)}" if contact.phone.strip() else f"contact {contact.name}"
    return text[0].upper() + text[1:] if capital else text


def and_list(parts: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return _and_list(parts)


def _and_list(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


_NUMBER_WORDS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


def number_word(n: int) -> str:
    """``two``: small numbers read better as words."""
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def count(n: int, thing: str) -> str:
    """``two sessions``, ``one session``."""
    return f"{number_word(n)} {thing}{'' if n == 1 else 's'}"


def all_of(n: int, thing: str) -> str:
    """``your session``, ``both sessions``, ``all three sessions``."""
    if n == 1:
        return f"your {thing}"
    if n == 2:
        return f"both {thing}s"
    return f"all {number_word(n)} {thing}s"


def times(n: int) -> str:
    """``once``, ``twice``, ``three times``."""
    return {1: "once", 2: "twice"}.get(n, f"{number_word(n)} times")


def tel(number: str) -> str:
    """A phone number that never breaks across lines (no-break spaces)."""
    return number.replace(" ", "\u00a0")


def centre_line(centre: Centre) -> str:
    """``Cranstoun Newbury Drop-in, 12 Example Street, Newbury, RG14 1AA``: one line for tables."""
    return ", ".join([centre.name, *(_unbroken(part) for part in centre.address)])


def one_line(address: Sequence[str], empty: str = "Not recorded") -> str:
    """An address on one line, for tables: ``14 Market Place, Newbury, RG14 5AA``."""
    return ", ".join(_unbroken(part) for part in address if part) or empty


def _unbroken(part: str) -> str:
    """A short part of an address (a postcode: ``RG14 5AA``) kept on one line."""
    return part.replace(" ", "\u00a0") if len(part) <= 8 else part
