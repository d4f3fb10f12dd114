"""Name matching: normalised keys, nicknames and "probably the same person".

A normalised key ignores case, accents, hyphens, apostrophes and spaces, so
"O'Brien", "OBRIEN" and "O Brien" meet, as do "Zoë" and "Zoe".
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

# Letters that NFKD does not decompose into a base letter plus accent.
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "œ": "oe", "þ": "th", "ı": "i", "ħ": "h"})


# The same names are normalised over and over (an import compares each new person with up to a
# dozen others): the recent ones are kept, a few MB at most.
_KEPT = 16384


@lru_cache(maxsize=_KEPT)
def normalise(name: str) -> str:
    """A search key: lower-case ASCII letters and digits only."""
    text = unicodedata.normalize("NFKD", name.casefold().translate(_SPECIAL))
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def name_tokens(name: str) -> list[str]:
    """Each word of a name, normalised (hyphenated parts count as words)."""
    return list(_tokens(name))


@lru_cache(maxsize=_KEPT)
def _tokens(name: str) -> tuple[str, ...]:
    for sep in "-'’,.":
        name = name.replace(sep, " ")
    return tuple(t for t in (normalise(part) for part in name.split()) if t)


def surname_part_keys(surname: str) -> list[str]:
    """The search keys that find a surname by a later part: for each part after the first (parts
    are split at hyphens and spaces), the key of the name from that part on. The whole name's key
    finds it by its first part; with these "Wolfeschlegel-Ó'Brien-Śmith" is also found by
    "obrien", "O'Brien-Smith" and "smith", and "Smith-Jones" by "jones". An apostrophe joins
    ("O'Brien" is one part, found as "obrien")."""
    parts = [key for key in (normalise(part) for part in re.split(r"[-‐‑‒–—\s]+", surname)) if key]
    return list(dict.fromkeys("".join(parts[start:]) for start in range(1, len(parts))))


_NICKNAME_GROUPS = (
    ("robert", "rob", "bob", "bobby", "robbie", "bert"),
    ("william", "will", "bill", "billy", "liam", "willy"),
    ("richard", "rich", "rick", "ricky", "dick"),
    ("james", "jim", "jimmy", "jamie"),
    ("john", "jon", "johnny", "jack"),
    ("jonathan", "jon", "jonny"),
    ("michael", "mike", "mick", "mickey", "micky"),
    ("thomas", "tom", "tommy"),
    ("edward", "ed", "eddie", "ted", "ned"),
    ("anthony", "tony", "ant"),
    ("christopher", "chris", "kit"),
    ("daniel", "dan", "danny"),
    ("david", "dave", "davey"),
    ("joseph", "joe", "joey"),
    ("matthew", "matt"),
    ("nicholas", "nick", "nicky"),
    ("samuel", "sam", "sammy"),
    ("benjamin", "ben", "benny"),
    ("alexander", "alex", "sandy", "xander"),
    ("andrew", "andy", "drew"),
    ("stephen", "steve", "stevie", "steven"),
    ("charles", "charlie", "chas", "chuck"),
    ("patrick", "pat", "paddy"),
    ("margaret", "maggie", "meg", "peggy", "maggy"),
    ("elizabeth", "liz", "lizzie", "beth", "betty", "eliza", "libby"),
    ("katherine", "kate", "katie", "kath", "kathy", "kat", "catherine"),
    ("jennifer", "jen", "jenny"),
    ("rebecca", "becky", "becca"),
    ("victoria", "vicky", "tori"),
    ("alexandra", "alex", "lexi", "sandra"),
    ("samantha", "sam", "sammy"),
    ("susan", "sue", "susie"),
    ("deborah", "debbie", "deb"),
    ("jessica", "jess", "jessie"),
    ("abigail", "abby", "abi"),
    ("charlotte", "charlie", "lottie"),
    ("mohammed", "muhammad", "mohammad", "mohamed", "mo"),
)

_NICKNAMES: dict[str, frozenset[str]] = {}
for _group in _NICKNAME_GROUPS:
    for _name in _group:
        _NICKNAMES[_name] = _NICKNAMES.get(_name, frozenset()) | frozenset(_group)


@lru_cache(maxsize=_KEPT)
def forename_variants(forename: str) -> frozenset[str]:
    """The normalised forename and its common nicknames / full forms."""
    key = normalise(forename)
    return _NICKNAMES.get(key, frozenset()) | {key}


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance, giving up (returning limit + 1) beyond ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def similar_surnames(a: str, b: str) -> bool:
    ka, kb = normalise(a), normalise(b)
    if not ka or not kb:
        return False
    if ka == kb or ka.startswith(kb) or kb.startswith(ka):
        return True
    # Double-barrelled names: "Smith-Jones" matches "Smith" or "Jones".
    if set(name_tokens(a)) & set(name_tokens(b)):
        return True
    return edit_distance(ka, kb, 2) <= (1 if min(len(ka), len(kb)) <= 5 else 2)


def similar_forenames(a: str, b: str) -> bool:
    ta, tb = name_tokens(a), name_tokens(b)
    if not ta or not tb:
        return True  # nothing to contradict the match
    first_a, first_b = ta[0], tb[0]
    if forename_variants(first_a) & forename_variants(first_b):
        return True
    if first_a[0] == first_b[0] and (len(first_a) == 1 or len(first_b) == 1):
        return True  # an initial
    return edit_distance(first_a, first_b, 2) <= 1


def match_score(
    surname: str, forenames: str, dob: date | None, other_surname: str, other_forenames: str, other_dob: date | None
) -> int:
    """0 = not a plausible match; higher is closer. Used to rank possible matches."""
    same_dob = dob is not None and dob == other_dob
    surname_exact = normalise(surname) == normalise(other_surname)
    surname_close = surname_exact or similar_surnames(surname, other_surname)
    forename_close = similar_forenames(forenames, other_forenames)
    forename_exact = normalise(forenames) == normalise(other_forenames)
    if same_dob and surname_exact and forename_exact:
        return 100
    if same_dob and surname_close and forename_close:
        return 80
    if same_dob and (surname_close or (forename_close and normalise(forenames) != "")):
        return 50
    if surname_exact and forename_exact:
        return 30
    return 0
