"""Errors the services raise, each with a message fit to show to a user."""

from __future__ import annotations


class ServiceError(Exception):
    """An action could not be done; ``str(error)`` says why in plain words."""


class NotFound(ServiceError):
    pass


class ValidationError(ServiceError):
    """Input refused; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        lines = "\n".join(f"- {message}" for message in errors.values())
        super().__init__(f"Please correct the following:\n{lines}")


class NeedsConfirmation(ServiceError):
    """Allowed, but the rules advise against it: nothing was done. ``warnings`` say why, in
    words to put to the user; asked again with ``confirmed=True``, the action goes ahead."""

    def __init__(self, warnings: tuple[str, ...]) -> None:
        self.warnings = tuple(warnings)
        super().__init__(" ".join(self.warnings))


class ConflictError(ServiceError):
    """The action does not fit the record's current state (e.g. already confirmed)."""


class StorageError(ServiceError):
    """The database refused the write: nothing of this action was saved."""


class PermissionDenied(ServiceError):
    """The signed-in user's roles do not allow this action, or the record is outside their scope.
    Nothing was read or changed."""


class NotSignedIn(PermissionDenied):
    """No one is signed in."""


class StaleRecord(ConflictError):
    """The record changed after the screen read it (someone else saved it meanwhile): nothing of
    this action was saved. The message says who changed it and when; reload and do it again."""


class AccountRevoked(PermissionDenied):
    """The signed-in account was disabled by an administrator since it signed in: nothing more is
    done for it (the GUI signs it out)."""


class PasswordChangeRequired(AccountRevoked):
    """An administrator set this account's password: nothing but choosing a new one is allowed."""
