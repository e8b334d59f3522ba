"""How `/analytics` answers errors: `{"ok": false, "error", "code"}`.

Spec 004 answers validation problems with 400 VALIDATION_ERROR; the field messages,
joined, are the error text.
"""

from __future__ import annotations

from typing import Any

from litestar import Response

from appliance.http.errors import Problem

CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    500: "SERVER_ERROR",
}


def analytics_error(problem: Problem) -> Response[Any]:
    status = 400 if problem.status == 422 else problem.status
    message = problem.message
    if problem.errors:
        message = " ".join(m for messages in problem.errors.values() for m in messages)
    body = {
        "ok": False,
        "error": message,
        "code": CODES.get(status, "VALIDATION_ERROR" if status < 500 else "SERVER_ERROR"),
    }
    return Response(body, status_code=status, headers=problem.headers)
