"""Spec 000 login, logout and the signed-in user, plus the user's API tokens."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie, State
from litestar.di import Provide
from litestar.params import FromPath, JSONBody

from appliance.accounts import credentials, users
from appliance.accounts.models import NewSession
from appliance.clock import iso
from appliance.config import Config
from appliance.errors import Invalid, Unauthenticated
from appliance.http.api.schemas import (
    LoginBody,
    LoginOut,
    TokenBody,
    TokenOut,
    TokensEnvelope,
    UserEnvelope,
    UserOut,
)
from appliance.http.auth import CSRF_COOKIE, SESSION_COOKIE, CallerDep, Db, provide_caller
from appliance.http.client_ip import TrustedProxies


def _is_https(request: Request[Any, Any, Any], state: State) -> bool:
    proxies: TrustedProxies = state.proxies
    return proxies.is_https(request.scope)


def session_cookies(request: Request[Any, Any, Any], state: State, session: NewSession) -> list[Cookie]:
    """The cookies of a new dashboard session: the HttpOnly, SameSite=Strict session itself, and the
    CSRF token that script reads and echoes in `X-CSRF-Token`. Secure when the request came over HTTPS."""
    config: Config = state.config
    secure = _is_https(request, state)
    max_age = config.auth.session_days * 86_400
    return [
        Cookie(
            key=SESSION_COOKIE,
            value=session.secret,
            httponly=True,
            samesite="strict",
            secure=secure,
            path="/",
            max_age=max_age,
        ),
        Cookie(
            key=CSRF_COOKIE,
            value=session.csrf_token,
            httponly=False,
            samesite="strict",
            secure=secure,
            path="/",
            max_age=max_age,
        ),
    ]


class AccountController(Controller):
    path = "/"
    tags = ["Account"]

    @post("/login", status_code=200, summary="Sign in; returns an API token, or sets the dashboard cookie")
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginBody], db: Db, state: State
    ) -> Response[LoginOut]:
        errors = {f: [f"The {f} field is required."] for f in ("email", "password") if not getattr(data, f)}
        if errors:
            raise Invalid(errors)
        user = await users.authenticate(db, data.email, data.password)
        if user is None:
            raise Unauthenticated("These credentials do not match our records.")
        if not data.remember:
            new = await credentials.create_token(db, user.id, "login")
            return Response(LoginOut(token=new.token, token_type="Bearer", user=UserOut.of(user)))
        config: Config = state.config
        days = config.auth.session_days
        secret, csrf = await db.write(lambda conn: credentials.insert_login_session(conn, user.id, days))
        session = NewSession(secret=secret, csrf_token=csrf)
        return Response(
            LoginOut(token_type="Cookie", user=UserOut.of(user), csrf_token=csrf),
            cookies=session_cookies(request, state, session),
        )

    @post(
        "/logout",
        status_code=200,
        dependencies={"caller": Provide(provide_caller)},
        summary="Revoke the token (or end the cookie session) used for this request",
    )
    async def logout(self, caller: CallerDep, db: Db) -> Response[dict[str, str]]:
        await credentials.sign_out(db, caller)
        cookies = [
            Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/", httponly=True, samesite="strict"),
            Cookie(key=CSRF_COOKIE, value="", max_age=0, path="/", samesite="strict"),
        ]
        return Response({"message": "Signed out."}, cookies=cookies)

    @get("/user", dependencies={"caller": Provide(provide_caller)}, summary="The signed-in user")
    async def user(self, caller: CallerDep) -> UserEnvelope:
        return UserEnvelope(user=UserOut.of(caller.user))

    @get("/user/tokens", dependencies={"caller": Provide(provide_caller)}, summary="The user's API tokens")
    async def list_tokens(self, caller: CallerDep, db: Db) -> TokensEnvelope:
        tokens = await credentials.list_tokens(db, caller.user.id)
        return TokensEnvelope(
            tokens=[
                TokenOut(id=t.id, name=t.name, prefix=t.prefix, created_at=iso(t.created_at)) for t in tokens
            ]
        )

    @post(
        "/user/tokens",
        status_code=201,
        dependencies={"caller": Provide(provide_caller)},
        summary="Create an API token; the token is shown in this answer only",
    )
    async def create_token(self, caller: CallerDep, db: Db, data: JSONBody[TokenBody]) -> TokenOut:
        new = await credentials.create_token(db, caller.user.id, data.name)
        return TokenOut(
            id=new.info.id,
            name=new.info.name,
            prefix=new.info.prefix,
            created_at=iso(new.info.created_at),
            token=new.token,
        )

    @delete(
        "/user/tokens/{token_id:int}",
        status_code=204,
        dependencies={"caller": Provide(provide_caller)},
        summary="Revoke an API token",
    )
    async def revoke_token(self, caller: CallerDep, db: Db, token_id: FromPath[int]) -> None:
        await credentials.revoke_token(db, caller.user.id, token_id)
