"""The domain errors: what library code and the operations raise when the caller can fix the
request or must wait.

Each names the input it is about (`field`, in the operation's own terms: "user_id", "n",
"description"; None for the request as a whole). Only the callers translate: the CLI prints
`error: FLAG: message` with the verb's flag for the field and exits 2 (vitrine.cli); the API
answers a status code (vitrine.service.errors). Invalid is a ValueError and NotFound a
LookupError, so code that catches those catches these too."""

from __future__ import annotations


class AppError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class Invalid(AppError, ValueError):
    """An input that cannot be used as given."""


class NotFound(AppError, LookupError):
    """An ID that names nothing: a shopper, an item, a job, a person of the people set."""


class Conflict(AppError):
    """The request would overwrite something that exists (an item ID)."""


class NotReady(AppError):
    """What the operation needs is not there yet (no fitted recommender; a fit may be running)."""


class Busy(AppError):
    """A bound of the job queue is full; retry after `retry_after_s` seconds."""
    retry_after_s = 5
