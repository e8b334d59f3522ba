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

    def renamed(self, names: dict[str, str]) -> Invalid:
        """These errors with fields called as a surface's client calls them (`domain` -> `host`):
        the keys, and the field name where a message begins with it ("The domain ...")."""
        errors: dict[str, list[str]] = {}
        for field, messages in self.errors.items():
            name = names.get(field, field)
            prefix = f"The {field} "
            errors[name] = [f"The {name} {m[len(prefix) :]}" if m.startswith(prefix) else m for m in messages]
        return Invalid(errors, self.message)


class Unauthenticated(AlmanacError):
    def __init__(self, message: str = "Unauthenticated.") -> None:
        super().__init__(message)


class Forbidden(AlmanacError):
    def __init__(self, message: str = "This action is unauthorized.") -> None:
        super().__init__(message)


class NotFound(AlmanacError):
    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message)
