"""Domain errors. Surfaces translate them into their own formats; domains never see HTTP."""

from __future__ import annotations


class AlmanacError(Exception):
    """Base of every error a domain function raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(AlmanacError):
    """Input failed validation. `errors` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]], message: str = "The given data was invalid.") -> None:
        super().__init__(message)
        self.errors = errors

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        return cls({name: [message]})


class Unauthenticated(AlmanacError):
    def __init__(self, message: str = "Unauthenticated.") -> None:
        super().__init__(message)


class Forbidden(AlmanacError):
    def __init__(self, message: str = "This action is unauthorized.") -> None:
        super().__init__(message)


class NotFound(AlmanacError):
    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message)
