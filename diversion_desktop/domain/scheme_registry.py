"""The set of schemes in force, read from one folder of TOML files.

Adding an area is adding a file. Any problem stops start-up with a message that
names the file, the key and what is wrong.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

from diversion_desktop.domain.permissions import Principal
from diversion_desktop.domain.schemes import Centre, Scheme, SchemeConfigError, parse_scheme


class SchemeRegistry:
    def __init__(self, schemes: list[Scheme]) -> None:
        self._by_code = {s.code: s for s in schemes}
        self._by_area = {s.area.casefold(): s for s in schemes}

    @classmethod
    def load(cls, folder: Path) -> SchemeRegistry:
        files = sorted(folder.glob("*.toml"))
        if not files:
            raise SchemeConfigError(str(folder), "*.toml", "no scheme files found in this folder")
        schemes: list[Scheme] = []
        for path in files:
            try:
                with path.open("rb") as handle:
                    data = tomllib.load(handle)
            except tomllib.TOMLDecodeError as exc:
                raise SchemeConfigError(str(path), "(file)", f"is not valid TOML: {exc}") from None
            except OSError as exc:
                raise SchemeConfigError(str(path), "(file)", f"cannot be read: {exc}") from None
            schemes.append(parse_scheme(data, str(path)))
        for attribute in ("code", "area", "reference_prefix"):
            seen: dict[str, Scheme] = {}
            for scheme in schemes:
                value = str(getattr(scheme, attribute)).casefold()
                if value in seen:
                    raise SchemeConfigError(
                        scheme.source,
                        attribute,
                        f"'{getattr(scheme, attribute)}' is already used by {seen[value].source}",
                    )
                seen[value] = scheme
        return cls(schemes)

    def __iter__(self) -> Iterator[Scheme]:
        return iter(sorted(self._by_code.values(), key=lambda s: s.area))

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Scheme:
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"unknown scheme '{code}'") from None

    def find(self, code_or_area: str) -> Scheme | None:
        key = code_or_area.strip()
        return self._by_code.get(key) or self._by_area.get(key.casefold())

    def codes(self) -> list[str]:
        return [s.code for s in self]

    def all_centres(self) -> list[tuple[Scheme, Centre]]:
        return [(s, c) for s in self for c in s.centres()]

    def centres_run_by(self, organisation: str) -> list[tuple[Scheme, Centre]]:
        """The centres an organisation runs: those of every scheme's provider or youth provider
        of that name (as the scheme files spell it, the name a support worker's account holds)."""
        return [(s, c) for s, c in self.all_centres() if c.provider == organisation]

    def centres_for(self, principal: Principal | None) -> list[tuple[Scheme, Centre]]:
        """The centres a user works with: a support worker only their own organisation's (the
        same rule that limits them to its referrals, services/scope.py); police roles and
        administrators every centre."""
        if principal is not None and principal.provider_scoped:
            return self.centres_run_by(principal.organisation)
        return self.all_centres()
