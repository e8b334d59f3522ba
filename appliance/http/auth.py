"""Who is calling, and what they may do on the site in the path.

Credentials: `Authorization: Bearer <API token>` (scripts), or the dashboard's HttpOnly
session cookie. A cookie-authenticated request that changes state must echo the session's
CSRF token in `X-CSRF-Token` (the dashboard reads it from the `almanac_csrf` cookie).

Site-scoped routes name the role they need in `opt={"role": ...}`; `provide_site` enforces
it through `appliance.sites.access`, the one place where permissions are decided. A route
that forgets to name a role gets "owner": permissions fail closed.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath

from appliance.accounts import credentials
from appliance.accounts.models import Caller
from appliance.db import Database
from appliance.errors import Forbidden, Unauthenticated
from appliance.sites.access import site_access
from appliance.sites.models import SiteAccess

SESSION_COOKIE = "almanac_session"
CSRF_COOKIE = "almanac_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Handlers name what they need by these types: Litestar 3 requires dependencies to be explicit.
Db = NamedDependency[Database]
CallerDep = NamedDependency[Caller]
OptionalCallerDep = NamedDependency[Caller | None]
SiteDep = NamedDependency[SiteAccess]


def provide_db(state: State) -> Database:
    db: Database = state.db
    return db


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def find_caller(request: Request[Any, Any, Any], db: Database) -> Caller | None:
    """The caller behind the request's credentials, or None when there are none or they are wrong."""
    if token := bearer_token(request):
        return await credentials.caller_for_token(db, token)
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        return None
    caller = await credentials.caller_for_session(db, session)
    if caller is not None and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not caller.csrf_token or not hmac.compare_digest(sent, caller.csrf_token):
            raise Forbidden("CSRF token mismatch.")
    return caller


async def provide_caller(request: Request[Any, Any, Any], db: Db) -> Caller:
    caller = await find_caller(request, db)
    if caller is None:
        raise Unauthenticated()
    return caller


async def provide_optional_caller(request: Request[Any, Any, Any], db: Db) -> Caller | None:
    return await find_caller(request, db)


async def provide_site(
    request: Request[Any, Any, Any], db: Db, caller: CallerDep, id: FromPath[int]
) -> SiteAccess:
    need = request.route_handler.opt.get("role", "owner")
    return await site_access(db, caller.user, id, need)
