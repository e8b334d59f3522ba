from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from appliance.accounts.models import User
from appliance.clock import iso, now_ms
from appliance.server import create_app
from appliance.sites.team import DAY_MS
from tests import support
from tests.support import PASSWORD, Env, cookie_attributes

INVALID = "The given data was invalid."
FAR_FUTURE = 4_102_444_800_000  # 2100-01-01T00:00:00Z


def invite(env: Env, site_id: int, by: User, email: str, role: str = "viewer") -> dict[str, Any]:
    response = env.client.post(
        f"/api/sites/{site_id}/team/invite", json={"email": email, "role": role}, headers=env.headers(by)
    )
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def team(env: Env, site_id: int, user: User) -> dict[str, Any]:
    response = env.client.get(f"/api/sites/{site_id}/team", headers=env.headers(user))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def set_expiry(env: Env, invitation_id: int, expires_at: int) -> None:
    with env.conn:
        env.conn.execute("UPDATE invitations SET expires_at = ? WHERE id = ?", (expires_at, invitation_id))


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "is_admin": user.is_admin,
        "created_at": iso(user.created_at),
    }


# Listing


def test_team_lists_members_and_only_pending_invitations(env: Env) -> None:
    owner = env.user("john@example.com", name="John Doe")
    admin = env.user("jane@example.com", name="Jane Smith")
    viewer = env.user("vic@example.com", name="Vic")
    site = env.site(owner)
    env.member(site["id"], admin, "admin")
    env.member(site["id"], viewer, "viewer")
    pending = invite(env, site["id"], owner, "new@example.com")["invitation"]
    set_expiry(env, pending["id"], FAR_FUTURE)
    expired = invite(env, site["id"], owner, "late@example.com")["invitation"]
    set_expiry(env, expired["id"], now_ms() - 1)
    accepted = invite(env, site["id"], owner, "joined@example.com", "admin")
    joined = env.client.post(
        f"/api/invitations/{accepted['token']}/accept", json={"name": "J", "password": PASSWORD}
    )
    assert joined.status_code == 200, joined.text

    assert team(env, site["id"], viewer) == {
        "members": [
            {"id": owner.id, "name": "John Doe", "email": "john@example.com", "role": "owner"},
            {"id": admin.id, "name": "Jane Smith", "email": "jane@example.com", "role": "admin"},
            {"id": viewer.id, "name": "Vic", "email": "vic@example.com", "role": "viewer"},
            {"id": joined.json()["user"]["id"], "name": "J", "email": "joined@example.com", "role": "admin"},
        ],
        "pending_invitations": [
            {
                "id": pending["id"],
                "email": "new@example.com",
                "role": "viewer",
                "expires_at": "2100-01-01T00:00:00Z",
            }
        ],
    }


# Inviting


def test_invite_shows_the_token_once_and_stores_only_its_hash(env: Env) -> None:
    owner = env.user("owner@example.com")
    site = env.site(owner)

    before = now_ms()
    answer = invite(env, site["id"], owner, " New@Example.com ", "admin")

    token = answer["token"]
    row = env.conn.execute("SELECT * FROM invitations").fetchone()
    assert answer == {
        "invitation": {
            "id": row["id"],
            "email": "New@Example.com",
            "role": "admin",
            "expires_at": iso(row["expires_at"]),
        },
        "token": token,
        "accept_path": f"/invitations/{token}",
    }
    assert before + 7 * DAY_MS <= row["expires_at"] <= now_ms() + 7 * DAY_MS
    assert row["invited_by"] == owner.id
    assert row["token_hash"] == hashlib.sha256(token.encode()).digest()
    assert not any(token in str(value) for value in tuple(row))
    # Listing never shows the token again.
    assert token not in str(team(env, site["id"], owner))


def test_invitation_lifetime_comes_from_config(tmp_path: Path) -> None:
    config = support.test_config(tmp_path / "data", auth={"invitation_days": 2})
    with TestClient(create_app(config)) as client:
        env = Env(client=client, config=config)
        try:
            owner = env.user("owner@example.com")
            site = env.site(owner)
            invite(env, site["id"], owner, "new@example.com")
            row = env.conn.execute("SELECT created_at, expires_at FROM invitations").fetchone()
            assert row["expires_at"] - row["created_at"] == 2 * DAY_MS
        finally:
            env.close()


def test_inviting_again_replaces_the_earlier_invitation(env: Env) -> None:
    owner = env.user("owner@example.com")
    site = env.site(owner)
    first = invite(env, site["id"], owner, "new@example.com", "viewer")

    second = invite(env, site["id"], owner, "NEW@example.com", "admin")

    assert team(env, site["id"], owner)["pending_invitations"] == [second["invitation"]]
    assert second["invitation"]["role"] == "admin"
    assert env.client.get(f"/api/invitations/{first['token']}").status_code == 404
    assert env.client.get(f"/api/invitations/{second['token']}").status_code == 200


def test_inviting_a_member_is_invalid(env: Env) -> None:
    owner = env.user("owner@example.com")
    viewer = env.user("viewer@example.com")
    site = env.site(owner)
    env.member(site["id"], viewer, "viewer")

    for email in ("viewer@example.com", "Owner@Example.com"):
        response = env.client.post(
            f"/api/sites/{site['id']}/team/invite",
            json={"email": email, "role": "admin"},
            headers=env.headers(owner),
        )
        assert response.status_code == 422
        assert response.json() == {
            "message": INVALID,
            "errors": {"email": ["This person is already a member of the site."]},
        }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"email": ["The email field is required."], "role": ["The role field is required."]}),
        (
            {"email": "not-an-email", "role": "superuser"},
            {
                "email": ["The email must be a valid email address."],
                "role": ["The role must be one of: owner, admin, viewer."],
            },
        ),
        ({"email": 5, "role": "viewer"}, {"email": ["The email field must be a string."]}),
        ({"email": "a@example.com", "role": ["owner"]}, {"role": ["The role field must be a string."]}),
        ([1], {"data": ["The request body must be a JSON object."]}),
    ],
)
def test_invite_validation(env: Env, body: Any, errors: dict[str, list[str]]) -> None:
    owner = env.user("owner@example.com")
    site = env.site(owner)

    response = env.client.post(f"/api/sites/{site['id']}/team/invite", json=body, headers=env.headers(owner))

    assert response.status_code == 422
    assert response.json() == {"message": INVALID, "errors": errors}
    assert env.conn.execute("SELECT count(*) FROM invitations").fetchone()[0] == 0


# Looking at and accepting an invitation


def test_anyone_with_the_token_can_see_what_it_is_for(env: Env) -> None:
    owner = env.user("owner@example.com")
    site = env.site(owner, "shop.example.com")
    answer = invite(env, site["id"], owner, "new@example.com", "admin")
    set_expiry(env, answer["invitation"]["id"], FAR_FUTURE)
    expected = {
        "site_id": site["id"],
        "site_name": "shop.example.com",
        "site_domain": "shop.example.com",
        "email": "new@example.com",
        "role": "admin",
        "expires_at": "2100-01-01T00:00:00Z",
        "account_exists": False,
    }

    response = env.client.get(f"/api/invitations/{answer['token']}")
    assert response.status_code == 200
    assert response.json() == {"invitation": expected}

    env.user("NEW@example.com")
    response = env.client.get(f"/api/invitations/{answer['token']}")
    assert response.json() == {"invitation": expected | {"account_exists": True}}


def test_signed_in_invitee_accepts(env: Env) -> None:
    owner = env.user("owner@example.com")
    invitee = env.user("New@Example.com", name="Newcomer")
    site = env.site(owner)
    token = invite(env, site["id"], owner, "new@example.com", "admin")["token"]
    headers = env.headers(invitee)

    response = env.client.post(f"/api/invitations/{token}/accept", headers=headers)

    assert response.status_code == 200
    assert response.json() == {"site_id": site["id"], "role": "admin", "user": user_json(invitee)}
    assert team(env, site["id"], owner) == {
        "members": [
            {"id": owner.id, "name": "owner", "email": "owner@example.com", "role": "owner"},
            {"id": invitee.id, "name": "Newcomer", "email": "New@Example.com", "role": "admin"},
        ],
        "pending_invitations": [],
    }
    assert env.client.get(f"/api/sites/{site['id']}", headers=headers).status_code == 200
    # Consumed: neither shown nor accepted again.
    again = env.client.post(f"/api/invitations/{token}/accept", headers=headers)
    assert again.status_code == 404
    assert again.json() == {
        "message": "This invitation does not exist, has expired or has already been accepted."
    }
    assert env.client.get(f"/api/invitations/{token}").status_code == 404


def test_signed_in_invitee_accepts_with_the_dashboard_cookie(env: Env) -> None:
    owner = env.user("owner@example.com")
    invitee = env.user("new@example.com")
    site = env.site(owner)
    token = invite(env, site["id"], owner, "new@example.com")["token"]
    login = env.client.post(
        "/api/login", json={"email": "new@example.com", "password": PASSWORD, "remember": True}
    )
    csrf = login.json()["csrf_token"]

    without_csrf = env.client.post(f"/api/invitations/{token}/accept")
    assert without_csrf.status_code == 403
    response = env.client.post(f"/api/invitations/{token}/accept", headers={"X-CSRF-Token": csrf})

    assert response.status_code == 200
    assert response.json() == {"site_id": site["id"], "role": "viewer", "user": user_json(invitee)}


def test_signed_in_user_with_another_email_is_forbidden(env: Env) -> None:
    owner = env.user("owner@example.com")
    other = env.user("other@example.com")
    site = env.site(owner)
    token = invite(env, site["id"], owner, "new@example.com")["token"]

    response = env.client.post(f"/api/invitations/{token}/accept", headers=env.headers(other))

    assert response.status_code == 403
    assert response.json() == {
        "message": "This invitation is for another email address: sign in as the invited person to accept it."
    }
    assert env.client.get(f"/api/invitations/{token}").status_code == 200


def test_newcomer_accepts_by_creating_an_account(env: Env) -> None:
    owner = env.user("owner@example.com")
    site = env.site(owner)
    token = invite(env, site["id"], owner, "new@example.com", "viewer")["token"]

    response = env.client.post(
        f"/api/invitations/{token}/accept", json={"name": " Newcomer ", "password": "a long password"}
    )

    assert response.status_code == 200
    answer = response.json()
    user = answer["user"]
    assert answer == {
        "site_id": site["id"],
        "role": "viewer",
        "token": answer["token"],
        "token_type": "Bearer",
        "user": {
            "id": user["id"],
            "name": "Newcomer",
            "email": "new@example.com",
            "is_admin": False,
            "created_at": user["created_at"],
        },
    }
    headers = {"Authorization": f"Bearer {answer['token']}"}
    assert env.client.get("/api/user", headers=headers).json() == {"user": user}
    assert [s["id"] for s in env.client.get("/api/sites", headers=headers).json()["sites"]] == [site["id"]]
    login = env.client.post("/api/login", json={"email": "new@example.com", "password": "a long password"})
    assert login.status_code == 200
    assert env.client.post(f"/api/invitations/{token}/accept", json={}, headers=headers).status_code == 404


def test_newcomer_who_asks_to_be_remembered_gets_the_cookie_session_and_no_token(env: Env) -> None:
    owner = env.user("owner@example.com")
    site = env.site(owner)
    token = invite(env, site["id"], owner, "new@example.com", "viewer")["token"]
    tokens_before = support.rows(env, "SELECT count(*) FROM api_tokens")

    response = env.client.post(
        f"/api/invitations/{token}/accept",
        json={"name": "Newcomer", "password": "a long password", "remember": True},
    )

    assert response.status_code == 200
    answer = response.json()
    user = answer["user"]
    assert answer == {
        "site_id": site["id"],
        "role": "viewer",
        "token_type": "Cookie",
        "csrf_token": answer["csrf_token"],
        "user": {
            "id": user["id"],
            "name": "Newcomer",
            "email": "new@example.com",
            "is_admin": False,
            "created_at": user["created_at"],
        },
    }
    session, session_attributes = cookie_attributes(response, "almanac_session")
    csrf, csrf_attributes = cookie_attributes(response, "almanac_csrf")
    assert session.startswith("als_")
    assert session_attributes == {"httponly", "samesite=strict", "path=/", "max-age=2592000"}
    assert (csrf, csrf_attributes) == (answer["csrf_token"], {"samesite=strict", "path=/", "max-age=2592000"})
    assert support.rows(env, "SELECT count(*) FROM api_tokens") == tokens_before
    # The client now holds the session cookie: signed in, and writes need the CSRF token.
    assert env.client.get("/api/user").json() == {"user": user}
    assert [s["id"] for s in env.client.get("/api/sites").json()["sites"]] == [site["id"]]
    assert env.client.post("/api/user/tokens", json={"name": "x"}).status_code == 403
    created = env.client.post("/api/user/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            None,
            {"name": ["The name field is required."], "password": ["The password field is required."]},
        ),
        (
            {"name": "N", "password": "short"},
            {"password": ["The password must be at least 8 characters."]},
        ),
        ({"name": 3, "password": "long enough"}, {"name": ["The name field must be a string."]}),
    ],
)
def test_newcomer_validation(env: Env, body: Any, errors: dict[str, list[str]]) -> None:
    owner = env.user("owner@example.com")
    site = env.site(owner)
    token = invite(env, site["id"], owner, "new@example.com")["token"]

    response = env.client.post(f"/api/invitations/{token}/accept", json=body)

    assert response.status_code == 422
    assert response.json() == {"message": INVALID, "errors": errors}
    assert env.conn.execute("SELECT count(*) FROM users").fetchone()[0] == 1


def test_anonymous_caller_with_an_existing_account_must_sign_in(env: Env) -> None:
    owner = env.user("owner@example.com")
    env.user("NEW@example.com")
    site = env.site(owner)
    token = invite(env, site["id"], owner, "new@example.com")["token"]

    response = env.client.post(
        f"/api/invitations/{token}/accept", json={"name": "N", "password": "a long password"}
    )

    assert response.status_code == 401
    assert response.json() == {
        "message": "An account with this email already exists: sign in to accept the invitation."
    }


def test_a_bearer_token_that_does_not_work_is_refused(env: Env) -> None:
    owner = env.user("owner@example.com")
    site = env.site(owner)
    token = invite(env, site["id"], owner, "new@example.com")["token"]

    response = env.client.post(
        f"/api/invitations/{token}/accept",
        json={"name": "N", "password": "a long password"},
        headers={"Authorization": "Bearer alm_wrong"},
    )

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthenticated."}


def test_expired_and_unknown_invitations_are_not_found(env: Env) -> None:
    owner = env.user("owner@example.com")
    invitee = env.user("new@example.com")
    site = env.site(owner)
    answer = invite(env, site["id"], owner, "new@example.com")
    set_expiry(env, answer["invitation"]["id"], now_ms() - 1)

    for token in (answer["token"], "ali_unknown"):
        assert env.client.get(f"/api/invitations/{token}").status_code == 404
        accepted = env.client.post(f"/api/invitations/{token}/accept", headers=env.headers(invitee))
        assert accepted.status_code == 404
    assert team(env, site["id"], owner)["members"] == [
        {"id": owner.id, "name": "owner", "email": "owner@example.com", "role": "owner"}
    ]


@pytest.mark.parametrize(
    ("current", "invited", "kept"), [("admin", "viewer", "admin"), ("viewer", "owner", "owner")]
)
def test_accepting_as_a_member_keeps_the_higher_role(env: Env, current: str, invited: str, kept: str) -> None:
    owner = env.user("owner@example.com")
    member = env.user("member@example.com")
    site = env.site(owner)
    token = invite(env, site["id"], owner, "member@example.com", invited)["token"]
    env.member(site["id"], member, current)  # joined some other way after being invited

    response = env.client.post(f"/api/invitations/{token}/accept", headers=env.headers(member))

    assert response.status_code == 200
    assert response.json()["role"] == kept
    assert team(env, site["id"], owner) == {
        "members": [
            {"id": owner.id, "name": "owner", "email": "owner@example.com", "role": "owner"},
            {"id": member.id, "name": "member", "email": "member@example.com", "role": kept},
        ],
        "pending_invitations": [],
    }


def test_cancelled_invitation_cannot_be_accepted(env: Env) -> None:
    owner = env.user("owner@example.com")
    site = env.site(owner)
    answer = invite(env, site["id"], owner, "new@example.com")
    url = f"/api/sites/{site['id']}/team/invitations/{answer['invitation']['id']}"

    assert env.client.delete(url, headers=env.headers(owner)).status_code == 204

    assert team(env, site["id"], owner)["pending_invitations"] == []
    assert env.client.get(f"/api/invitations/{answer['token']}").status_code == 404
    again = env.client.delete(url, headers=env.headers(owner))
    assert again.status_code == 404
    assert again.json() == {"message": "Invitation not found."}


def test_invitation_of_another_site_cannot_be_cancelled_here(env: Env) -> None:
    owner = env.user("owner@example.com")
    mine = env.site(owner, "mine.example.com")
    other = env.site(owner, "other.example.com")
    answer = invite(env, other["id"], owner, "new@example.com")

    response = env.client.delete(
        f"/api/sites/{mine['id']}/team/invitations/{answer['invitation']['id']}", headers=env.headers(owner)
    )

    assert response.status_code == 404
    assert team(env, other["id"], owner)["pending_invitations"] == [answer["invitation"]]


# Roles and removal


def test_owner_changes_a_role_and_removes_a_member(env: Env) -> None:
    owner = env.user("owner@example.com")
    member = env.user("member@example.com")
    site = env.site(owner)
    env.member(site["id"], member, "viewer")
    url = f"/api/sites/{site['id']}/team/{member.id}"

    changed = env.client.put(url, json={"role": "admin"}, headers=env.headers(owner))
    assert changed.status_code == 200
    assert changed.json() == {
        "member": {"id": member.id, "name": "member", "email": "member@example.com", "role": "admin"}
    }
    assert team(env, site["id"], member)["members"][1]["role"] == "admin"

    removed = env.client.delete(url, headers=env.headers(owner))
    assert removed.status_code == 204
    assert team(env, site["id"], owner)["members"] == [
        {"id": owner.id, "name": "owner", "email": "owner@example.com", "role": "owner"}
    ]
    assert env.client.get(f"/api/sites/{site['id']}", headers=env.headers(member)).status_code == 404


def test_unknown_member_is_not_found(env: Env) -> None:
    owner = env.user("owner@example.com")
    stranger = env.user("stranger@example.com")
    site = env.site(owner)
    headers = env.headers(owner)

    for response in (
        env.client.put(
            f"/api/sites/{site['id']}/team/{stranger.id}", json={"role": "admin"}, headers=headers
        ),
        env.client.delete(f"/api/sites/{site['id']}/team/{stranger.id}", headers=headers),
        env.client.delete(f"/api/sites/{site['id']}/team/9999", headers=headers),
    ):
        assert response.status_code == 404
        assert response.json() == {"message": "Member not found."}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"role": "boss"}, {"role": ["The role must be one of: owner, admin, viewer."]}),
        ({}, {"role": ["The role field is required."]}),
        ({"role": 1}, {"role": ["The role field must be a string."]}),
    ],
)
def test_role_change_validation(env: Env, body: Any, errors: dict[str, list[str]]) -> None:
    owner = env.user("owner@example.com")
    member = env.user("member@example.com")
    site = env.site(owner)
    env.member(site["id"], member, "viewer")

    response = env.client.put(
        f"/api/sites/{site['id']}/team/{member.id}", json=body, headers=env.headers(owner)
    )

    assert response.status_code == 422
    assert response.json() == {"message": INVALID, "errors": errors}


def test_the_last_owner_can_be_neither_demoted_nor_removed(env: Env) -> None:
    owner = env.user("owner@example.com")
    second = env.user("second@example.com")
    site = env.site(owner)
    headers = env.headers(owner)
    url = f"/api/sites/{site['id']}/team/{owner.id}"

    demoted = env.client.put(url, json={"role": "admin"}, headers=headers)
    assert demoted.status_code == 422
    assert demoted.json() == {
        "message": INVALID,
        "errors": {"role": ["The last owner of a site cannot be demoted: make someone else an owner first."]},
    }
    removed = env.client.delete(url, headers=headers)
    assert removed.status_code == 422
    assert removed.json() == {
        "message": INVALID,
        "errors": {
            "user_id": ["The last owner of a site cannot be removed: make someone else an owner first."]
        },
    }
    # Keeping the owner role is no demotion.
    assert env.client.put(url, json={"role": "owner"}, headers=headers).status_code == 200

    # With a second owner, the first may step down; then the second is the last one.
    env.member(site["id"], second, "owner")
    assert env.client.put(url, json={"role": "viewer"}, headers=headers).status_code == 200
    second_url = f"/api/sites/{site['id']}/team/{second.id}"
    assert env.client.delete(second_url, headers=env.headers(second)).status_code == 422
    assert env.client.delete(url, headers=env.headers(second)).status_code == 204
    assert team(env, site["id"], second)["members"] == [
        {"id": second.id, "name": "second", "email": "second@example.com", "role": "owner"}
    ]


# Who may do what


ROUTES = {
    "list": ("GET", "/team", None, 200),
    "invite": ("POST", "/team/invite", {"email": "new@example.com", "role": "viewer"}, 201),
    "change_role": ("PUT", "/team/{target}", {"role": "admin"}, 200),
    "remove": ("DELETE", "/team/{target}", None, 204),
    "cancel": ("DELETE", "/team/invitations/{invitation}", None, 204),
}
NEEDS = {"list": "viewer", "invite": "owner", "change_role": "owner", "remove": "owner", "cancel": "owner"}
RANK = {"viewer": 1, "admin": 2, "owner": 3}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("who", ["owner", "admin", "viewer", "stranger", "anonymous", "server_admin"])
def test_permissions(env: Env, route: str, who: str) -> None:
    owner = env.user("owner@example.com")
    site = env.site(owner)
    target = env.user("target@example.com")
    env.member(site["id"], target, "viewer")
    invitation = invite(env, site["id"], owner, "pending@example.com")["invitation"]
    headers: dict[str, str] = {}
    if who == "owner":
        headers = env.headers(owner)
    elif who in ("admin", "viewer"):
        user = env.user(f"{who}@example.com")
        env.member(site["id"], user, who)
        headers = env.headers(user)
    elif who == "stranger":
        headers = env.headers(env.user("stranger@example.com"))
    elif who == "server_admin":
        headers = env.headers(env.user("root@example.com", admin=True))
    method, path, body, ok = ROUTES[route]
    url = f"/api/sites/{site['id']}" + path.format(target=target.id, invitation=invitation["id"])

    response = env.client.request(method, url, json=body, headers=headers)

    if who == "anonymous":
        assert (response.status_code, response.json()) == (401, {"message": "Unauthenticated."})
    elif who == "stranger":
        assert (response.status_code, response.json()) == (404, {"message": "Site not found."})
    elif who in ("owner", "server_admin") or RANK[who] >= RANK[NEEDS[route]]:
        assert response.status_code == ok, response.text
    else:
        assert response.status_code == 403
        assert response.json() == {"message": f"This action needs the {NEEDS[route]} role on this site."}
