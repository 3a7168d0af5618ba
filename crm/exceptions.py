"""Domain errors: what services raise when a rule stops an operation.

They know nothing of HTTP. ``crm.errors`` turns them into translated pages (and JSON for
clients that ask for it); a job or a command reports them in its own way. Messages are lazy
translations, so each reader sees them in their own language.
"""

from typing import Any


class DomainError(Exception):
    """Base of the errors a service raises on purpose."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message) if self.message is not None else self.__class__.__name__


class NotFound(DomainError):
    """The record does not exist, or the acting user may not know that it does."""


class Forbidden(DomainError):
    """The acting user may see the record but not do this to it."""


class RuleBroken(DomainError):
    """A rule of the domain was broken. ``errors`` maps each input to its message (the key
    None: the record as a whole); ``RuleBroken(message, field)`` is one of them."""

    def __init__(
        self, message: Any = None, field: str | None = None, *, errors: dict | None = None
    ) -> None:
        self.errors: dict[str | None, Any] = dict(errors) if errors else {field: message}
        self.field = next(iter(self.errors))
        super().__init__(self.errors[self.field])
