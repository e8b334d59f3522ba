"""Every error becomes a Problem; each surface shapes Problems in its own format.

Litestar sends router-level 404/405 only to app-level handlers, so one app-level handler
chooses the surface by path prefix. Unexpected errors are logged with a request id that
the response carries in `X-Request-ID`; no traceback reaches a client.
"""

from __future__ import annotations

import logging
import re
import uuid
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import ClientException, HTTPException, SerializationException, ValidationException

from appliance.errors import AlmanacError, Forbidden, Invalid, NotFound, Unauthenticated

log = logging.getLogger("almanac.http")


class Problem(msgspec.Struct, kw_only=True):
    status: int
    message: str
    errors: dict[str, list[str]] = {}
    headers: dict[str, str] = {}


class RateLimited(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("Too Many Attempts.")
        self.headers = headers


_MISSING = re.compile(r"missing required field `([^`]+)`")
_EXPECTED = re.compile(r"Expected `([^`]+)`")
_KINDS = {
    "str": "a string",
    "int": "an integer",
    "bool": "true or false",
    "float": "a number",
    "object": "an object",
    "array": "an array",
    "int | float": "a number",
}


def _field_message(field: str, message: str) -> str:
    if field == "data" and message.startswith("Expected `object`"):
        return "The request body must be a JSON object."
    if expected := _EXPECTED.search(message):
        kind = expected.group(1)
        return f"The {field} field must be {_KINDS.get(kind, kind)}."
    if "unknown field" in message:
        return f"The {field} field is not allowed."
    return f"The {field} field is invalid: {message}."


def validation_errors(exc: ValidationException) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid"))
        if missing := _MISSING.search(message):
            field = missing.group(1)
            errors.setdefault(field, []).append(f"The {field} field is required.")
            continue
        field = str(item.get("key") or "data")
        errors.setdefault(field, []).append(_field_message(field, message))
    return errors or {"data": [str(exc.detail)]}


_MESSAGES = {
    400: "Bad Request.",
    401: "Unauthenticated.",
    403: "This action is unauthorized.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    415: "Unsupported media type.",
    429: "Too Many Attempts.",
    500: "Server Error.",
}


def to_problem(request: Request[Any, Any, Any], exc: Exception) -> Problem:
    match exc:
        case Invalid():
            return Problem(status=422, message=exc.message, errors=exc.errors)
        case ValidationException():
            return Problem(status=422, message="The given data was invalid.", errors=validation_errors(exc))
        case Unauthenticated():
            return Problem(status=401, message=exc.message)
        case Forbidden():
            return Problem(status=403, message=exc.message)
        case NotFound():
            return Problem(status=404, message=exc.message)
        case AlmanacError():
            return Problem(status=400, message=exc.message)
        case RateLimited():
            return Problem(status=429, message="Too Many Attempts.", headers=exc.headers)
        case ClientException() if isinstance(exc.__cause__, SerializationException):
            # Litestar answers a body that is not JSON with a bare 400; it is invalid data like any other.
            return Problem(
                status=422,
                message="The given data was invalid.",
                errors={"data": ["The request body must be valid JSON."]},
            )
        case HTTPException() if exc.status_code < 500:
            # Litestar's default detail is the status phrase ("Method Not Allowed"): use ours instead.
            phrase = HTTPStatus(exc.status_code).phrase
            detail = exc.detail if exc.detail and exc.detail != phrase else _MESSAGES.get(exc.status_code)
            if exc.status_code == 404:
                detail = "Not found."
            return Problem(
                status=exc.status_code, message=str(detail or "Bad Request."), headers=dict(exc.headers or {})
            )
    request_id = uuid.uuid4().hex
    log.error("unexpected error %s on %s %s", request_id, request.method, request.url.path, exc_info=exc)
    return Problem(status=500, message="Server Error.", headers={"X-Request-ID": request_id})


def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # Imported here: each surface's shaper lives with its surface.
    from appliance.http.analytics.shape import analytics_error
    from appliance.http.api.shape import api_error

    problem = to_problem(request, exc)
    if request.url.path.startswith("/analytics"):
        return analytics_error(problem)
    return api_error(problem)
