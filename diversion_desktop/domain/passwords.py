"""What makes a password acceptable: long enough, not a common one, not the user name.

Pure rules; the list of common passwords is read by the caller (resources/security) and
passed in, so the rule can be tested with any list.
"""

from __future__ import annotations

import re
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 takes any length; a limit keeps a pasted novel out of the hasher
_ENDS = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def load_common(path: Path) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _cores(password: str) -> set[str]:
    """The forms compared with the list: as typed, and without digits or symbols at the ends
    ("Password2024!" is "password"); a word typed twice counts as the word."""
    lowered = password.lower()
    core = _ENDS.sub("", lowered)
    forms = {lowered, core}
    for form in list(forms):
        half = len(form) // 2
        if form and len(form) % 2 == 0 and form[:half] == form[half:]:
            forms.add(form[:half])
    return forms


def password_problem(password: str, username: str = "", common: frozenset[str] = frozenset()) -> str | None:
    """Why ``password`` is refused, in words; None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"The password must be at least {MIN_LENGTH} characters long (a short sentence is easy to remember)."
    if len(password) > MAX_LENGTH:
        return f"The password must be at most {MAX_LENGTH} characters long."
    if len(set(password)) < 4:
        return "The password repeats too few characters: choose one that is harder to guess."
    forms = _cores(password)
    if forms & common:
        return "This password is on the list of common passwords that are tried first: choose another."
    name = username.strip().lower()
    if name and name in forms:
        return "The password must not be the user name."
    return None
