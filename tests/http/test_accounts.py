"""Spec 000 login, logout and the signed-in user; API tokens; the dashboard's cookie session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from httpx import Response
from litestar.testing import TestClient

from appliance.accounts import secrets
from appliance.server import create_app
from tests.support import API_TOKEN, ISO_TIME, PASSWORD, Env, cookie_attributes, user_json
from tests.support import test_config as config_on

CREDENTIALS_DO_NOT_MATCH = {"message": "These credentials do not match our records."}


def login(env: Env, email: str, password: str = PASSWORD, **extra: Any) -> Response:
    return env.client.post("/api/login", json={"email": email, "password": password, **extra})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def database_bytes(env: Env) -> bytes:
    """Everything SQLite has on disk for the database: the main file and the WAL."""
    path = env.config.database_path
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


# Login with a token (scripts)


def test_login_answers_a_bearer_token_and_the_user(env: Env) -> None:
    user = env.user("ada@example.com", name="Ada Lovelace")

    response = login(env, "ada@example.com")

    assert response.status_code == 200
    assert response.json() == {
        "token": API_TOKEN,
        "token_type": "Bearer",
        "user": {
            "id": user.id,
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "is_admin": False,
            "created_at": ISO_TIME,
        },
    }
    assert response.json()["user"] == user_json(user)
    assert "set-cookie" not in response.headers


def test_login_email_is_case_insensitive_and_trimmed(env: Env) -> None:
    env.user("ada@example.com")

    assert login(env, "  Ada@Example.COM ").status_code == 200


def test_wrong_password_and_unknown_email_answer_alike(env: Env) -> None:
    env.user("ada@example.com")

    wrong = login(env, "ada@example.com", "not the password")
    unknown = login(env, "nobody@example.com")

    assert (wrong.status_code, wrong.json()) == (401, CREDENTIALS_DO_NOT_MATCH)
    assert (unknown.status_code, unknown.json()) == (401, CREDENTIALS_DO_NOT_MATCH)


def test_login_validation(env: Env) -> None:
    both = env.client.post("/api/login", json={})
    password = env.client.post("/api/login", json={"email": "ada@example.com"})
    blank = env.client.post("/api/login", json={"email": "", "password": ""})
    wrong_type = env.client.post("/api/login", json={"email": 1, "password": PASSWORD})

    assert (both.status_code, both.json()) == (
        422,
        {
            "message": "The given data was invalid.",
            "errors": {
                "email": ["The email field is required."],
                "password": ["The password field is required."],
            },
        },
    )
    assert (password.status_code, password.json()) == (
        422,
        {
            "message": "The given data was invalid.",
            "errors": {"password": ["The password field is required."]},
        },
    )
    assert blank.json() == both.json()
    assert (wrong_type.status_code, wrong_type.json()) == (
        422,
        {
            "message": "The given data was invalid.",
            "errors": {"email": ["The email field must be a string."]},
        },
    )


def test_the_signed_in_user(env: Env) -> None:
    user = env.user("ada@example.com", admin=True, name="Ada")
    token = login(env, "ada@example.com").json()["token"]

    response = env.client.get("/api/user", headers=bearer(token))

    assert response.status_code == 200
    assert response.json() == {
        "user": {
            "id": user.id,
            "name": "Ada",
            "email": "ada@example.com",
            "is_admin": True,
            "created_at": ISO_TIME,
        }
    }
    assert response.json()["user"] == user_json(user)


def test_no_or_bad_credentials_are_unauthenticated(env: Env) -> None:
    env.user("ada@example.com")

    for headers in (
        {},
        bearer("alm_not-a-token"),
        {"Authorization": "Basic YWRhOnB3"},
        {"Authorization": "Bearer"},
    ):
        response = env.client.get("/api/user", headers=headers)
        assert (response.status_code, response.json()) == (401, {"message": "Unauthenticated."}), headers


def test_logout_revokes_exactly_the_token_used(env: Env) -> None:
    env.user("ada@example.com")
    first = login(env, "ada@example.com").json()["token"]
    second = login(env, "ada@example.com").json()["token"]

    response = env.client.post("/api/logout", headers=bearer(first))

    assert (response.status_code, response.json()) == (200, {"message": "Signed out."})
    assert env.client.get("/api/user", headers=bearer(first)).status_code == 401
    assert env.client.get("/api/user", headers=bearer(second)).status_code == 200
    assert env.client.post("/api/logout", headers=bearer(first)).status_code == 401


def test_tokens_work_on_both_surfaces(env: Env) -> None:
    user = env.user("ada@example.com")
    site = env.site(user)
    token = login(env, "ada@example.com").json()["token"]

    sites = env.client.get("/api/sites", headers=bearer(token))
    websites = env.client.get("/analytics/websites", headers=bearer(token))

    assert (sites.status_code, [s["id"] for s in sites.json()["sites"]]) == (200, [site["id"]])
    assert (websites.status_code, [w["id"] for w in websites.json()["data"]]) == (200, [site["id"]])


def test_secrets_are_stored_hashed(env: Env) -> None:
    env.user("ada@example.com")
    token = login(env, "ada@example.com").json()["token"]
    session = login(env, "ada@example.com", remember=True).cookies["almanac_session"]

    stored = env.conn.execute(
        "SELECT token_hash, prefix FROM api_tokens WHERE token_hash = ?", (secrets.digest(token),)
    )
    assert [tuple(r) for r in stored] == [(secrets.digest(token), token[:10])]
    on_disk = database_bytes(env)
    assert token.encode() not in on_disk
    assert token[10:].encode() not in on_disk
    assert session.encode() not in on_disk
    assert secrets.digest(session) in on_disk


def test_passwords_are_stored_as_argon2id(tmp_path: Path) -> None:
    # The first admin from ALMANAC_ADMIN_*: the path a password takes through the domain.
    config = config_on(tmp_path / "data", admin={"email": "root@example.com", "password": "a-long-password"})

    with TestClient(create_app(config)) as client:
        response = client.post(
            "/api/login", json={"email": "root@example.com", "password": "a-long-password"}
        )
        env = Env(client=client, config=config)
        try:
            [stored] = env.conn.execute("SELECT password_hash FROM users").fetchall()
        finally:
            env.close()

    assert response.status_code == 200
    assert response.json()["user"]["is_admin"] is True
    assert stored[0].startswith("$argon2id$v=19$")
    assert "a-long-password" not in stored[0]


# API tokens


def test_api_tokens_are_shown_once_listed_and_revoked(env: Env) -> None:
    user = env.user("ada@example.com")
    headers = env.headers(user)  # token 1, named "test"

    created = env.client.post("/api/user/tokens", json={"name": "  deploy  "}, headers=headers)

    assert created.status_code == 201
    new = created.json()
    assert new == {
        "id": 2,
        "name": "deploy",
        "prefix": new["token"][:10],
        "created_at": ISO_TIME,
        "token": API_TOKEN,
    }
    assert env.client.get("/api/user", headers=bearer(new["token"])).status_code == 200

    listed = env.client.get("/api/user/tokens", headers=headers)
    assert listed.status_code == 200
    assert listed.json() == {
        "tokens": [
            {"id": 1, "name": "test", "prefix": headers["Authorization"][7:17], "created_at": ISO_TIME},
            {"id": 2, "name": "deploy", "prefix": new["prefix"], "created_at": new["created_at"]},
        ]
    }

    revoked = env.client.delete("/api/user/tokens/2", headers=headers)
    assert (revoked.status_code, revoked.content) == (204, b"")
    assert env.client.get("/api/user", headers=bearer(new["token"])).status_code == 401
    assert [t["id"] for t in env.client.get("/api/user/tokens", headers=headers).json()["tokens"]] == [1]
    again = env.client.delete("/api/user/tokens/2", headers=headers)
    assert (again.status_code, again.json()) == (404, {"message": "Token not found."})


def test_a_token_without_a_name(env: Env) -> None:
    user = env.user("ada@example.com")

    created = env.client.post("/api/user/tokens", json={}, headers=env.headers(user))

    assert (created.status_code, created.json()["name"]) == (201, "")


def test_api_token_name_is_limited(env: Env) -> None:
    user = env.user("ada@example.com")

    response = env.client.post("/api/user/tokens", json={"name": "x" * 101}, headers=env.headers(user))

    assert (response.status_code, response.json()) == (
        422,
        {
            "message": "The given data was invalid.",
            "errors": {"name": ["The name may not be greater than 100 characters."]},
        },
    )


def test_a_user_cannot_revoke_another_users_token(env: Env) -> None:
    ada = env.user("ada@example.com")
    bob = env.user("bob@example.com")
    bobs = env.token(bob)
    bobs_id = env.client.get("/api/user/tokens", headers=bearer(bobs)).json()["tokens"][0]["id"]

    response = env.client.delete(f"/api/user/tokens/{bobs_id}", headers=env.headers(ada))

    assert (response.status_code, response.json()) == (404, {"message": "Token not found."})
    assert env.client.get("/api/user", headers=bearer(bobs)).status_code == 200


# The dashboard's cookie session


def test_cookie_login(env: Env) -> None:
    user = env.user("ada@example.com")

    response = login(env, "ada@example.com", remember=True)

    assert response.status_code == 200
    body = response.json()
    assert body == {"token_type": "Cookie", "user": user_json(user), "csrf_token": body["csrf_token"]}
    assert len(body["csrf_token"]) >= 32
    session, session_attributes = cookie_attributes(response, "almanac_session")
    csrf, csrf_attributes = cookie_attributes(response, "almanac_csrf")
    assert session.startswith("als_")
    assert session_attributes == {"httponly", "samesite=strict", "path=/", "max-age=2592000"}
    # The dashboard's script reads the CSRF token from this cookie, so it is not HttpOnly.
    assert (csrf, csrf_attributes) == (body["csrf_token"], {"samesite=strict", "path=/", "max-age=2592000"})


def test_cookie_session_lasts_the_configured_days(tmp_path: Path) -> None:
    config = config_on(tmp_path / "data", auth={"session_days": 2})
    with TestClient(create_app(config)) as client:
        env = Env(client=client, config=config)
        try:
            env.user("ada@example.com")
            response = login(env, "ada@example.com", remember=True)
        finally:
            env.close()

    assert "max-age=172800" in cookie_attributes(response, "almanac_session")[1]


def test_cookie_authenticates_reads_on_both_surfaces(env: Env) -> None:
    user = env.user("ada@example.com")
    site = env.site(user)
    login(env, "ada@example.com", remember=True)  # the test client keeps the cookies

    me = env.client.get("/api/user")
    sites = env.client.get("/api/sites")
    websites = env.client.get("/analytics/websites")

    assert (me.status_code, me.json()) == (200, {"user": user_json(user)})
    assert (sites.status_code, [s["id"] for s in sites.json()["sites"]]) == (200, [site["id"]])
    assert (websites.status_code, [w["id"] for w in websites.json()["data"]]) == (200, [site["id"]])


def test_cookie_writes_need_the_csrf_token(env: Env) -> None:
    env.user("ada@example.com")
    csrf = login(env, "ada@example.com", remember=True).json()["csrf_token"]
    new_site = {"name": "Shop", "domain": "shop.example.com"}

    missing = env.client.post("/api/sites", json=new_site)
    other = "y" if csrf.endswith("x") else "x"  # a token one character off, never the right one
    wrong = env.client.post("/api/sites", json=new_site, headers={"X-CSRF-Token": csrf[:-1] + other})
    analytics = env.client.post("/analytics/websites", json={"name": "Shop", "host": "shop.example.com"})
    right = env.client.post("/api/sites", json=new_site, headers={"X-CSRF-Token": csrf})

    assert (missing.status_code, missing.json()) == (403, {"message": "CSRF token mismatch."})
    assert (wrong.status_code, wrong.json()) == (403, {"message": "CSRF token mismatch."})
    assert (analytics.status_code, analytics.json()) == (
        403,
        {"ok": False, "error": "CSRF token mismatch.", "code": "FORBIDDEN"},
    )
    assert right.status_code == 201
    assert [s["name"] for s in env.client.get("/api/sites").json()["sites"]] == ["Shop"]


def test_bearer_requests_need_no_csrf_token(env: Env) -> None:
    user = env.user("ada@example.com")
    login(env, "ada@example.com", remember=True)  # a cookie in the jar changes nothing for a token

    response = env.client.post(
        "/api/sites", json={"name": "Shop", "domain": "shop.example.com"}, headers=env.headers(user)
    )

    assert response.status_code == 201


def test_cookie_logout_ends_the_session(env: Env) -> None:
    env.user("ada@example.com")
    csrf = login(env, "ada@example.com", remember=True).json()["csrf_token"]
    session = env.client.cookies["almanac_session"]

    refused = env.client.post("/api/logout")
    response = env.client.post("/api/logout", headers={"X-CSRF-Token": csrf})

    assert refused.status_code == 403
    assert (response.status_code, response.json()) == (200, {"message": "Signed out."})
    assert cookie_attributes(response, "almanac_session")[0] in ("", '""')
    assert env.client.get("/api/user").status_code == 401
    env.client.cookies.set("almanac_session", session)  # replaying the old cookie does not help
    assert env.client.get("/api/user").status_code == 401
    assert env.conn.execute("SELECT count(*) FROM login_sessions").fetchone()[0] == 0


def test_an_expired_session_is_unauthenticated(env: Env) -> None:
    env.user("ada@example.com")
    login(env, "ada@example.com", remember=True)
    assert env.client.get("/api/user").status_code == 200

    with env.conn:
        env.conn.execute("UPDATE login_sessions SET expires_at = 0")

    response = env.client.get("/api/user")
    assert (response.status_code, response.json()) == (401, {"message": "Unauthenticated."})
