"""How `/api` answers errors: `{"message", "errors"}` (422) or `{"message"}`."""

from __future__ import annotations

from typing import Any

from litestar import Response

from appliance.http.errors import Problem


def api_error(problem: Problem) -> Response[Any]:
    body: dict[str, Any] = {"message": problem.message}
    if problem.status == 422:
        body["errors"] = problem.errors
    return Response(body, status_code=problem.status, headers=problem.headers)
