from __future__ import annotations

from typing import Any

import pytest

from tests.support import ISO_TIME, UUID, Env


def test_site_is_one_object_on_both_surfaces(env: Env) -> None:
    owner = env.user("owner@example.com")
    site = env.site(owner, "https://Shop.Example.com/path", timezone="Europe/London")
    headers = env.headers(owner)

    website = env.client.get(f"/analytics/websites/{site['id']}", headers=headers).json()["data"]

    assert site["domain"] == website["host"] == "shop.example.com"
    assert site["sid"] == website["pixel_key"]
    assert website == {
        "id": site["id"],
        "name": "https://Shop.Example.com/path",
        "host": "shop.example.com",
        "pixel_key": site["sid"],
        "tracking_enabled": True,
        "is_enabled": True,
        "timezone": "Europe/London",
        "tracking_type": "lightweight",
        "channel_type": "website",
        "created_at": site["created_at"],
    }


def site_json(id: int, **fields: Any) -> dict[str, Any]:
    """A spec-000 site with the defaults a new site gets."""
    return {
        "id": id,
        "domain": "example.com",
        "name": "Example",
        "sid": UUID,
        "timezone": "UTC",
        "tracking_enabled": True,
        "is_enabled": True,
        "tracking_type": "lightweight",
        "channel_type": "website",
        "created_at": ISO_TIME,
    } | fields


def website_json(id: int, **fields: Any) -> dict[str, Any]:
    """A spec-004 website with the defaults a new website gets."""
    return {
        "id": id,
        "name": "Example",
        "host": "example.com",
        "pixel_key": UUID,
        "tracking_enabled": True,
        "is_enabled": True,
        "timezone": "UTC",
        "tracking_type": "lightweight",
        "channel_type": "website",
        "created_at": ISO_TIME,
    } | fields


# Spec 000 (/api/sites)


def test_api_site_lifecycle(env: Env) -> None:
    headers = env.headers(env.user("ada@example.com"))

    assert env.client.get("/api/sites", headers=headers).json() == {"sites": []}

    created = env.client.post(
        "/api/sites",
        json={"domain": "example.com", "name": "Example", "timezone": "America/New_York"},
        headers=headers,
    )
    assert created.status_code == 201
    site = created.json()["site"]
    assert created.json() == {"site": site_json(site["id"], timezone="America/New_York")}

    listed = env.client.get("/api/sites", headers=headers)
    assert (listed.status_code, listed.json()) == (200, {"sites": [site]})

    shown = env.client.get(f"/api/sites/{site['id']}", headers=headers)
    assert (shown.status_code, shown.json()) == (200, {"site": site})

    updated = env.client.put(
        f"/api/sites/{site['id']}",
        json={"name": "Updated Site Name", "timezone": "Europe/London", "tracking_enabled": False},
        headers=headers,
    )
    assert (updated.status_code, updated.json()) == (
        200,
        {
            "site": site
            | {"name": "Updated Site Name", "timezone": "Europe/London", "tracking_enabled": False}
        },
    )
    assert env.client.get(f"/api/sites/{site['id']}", headers=headers).json() == updated.json()

    deleted = env.client.delete(f"/api/sites/{site['id']}", headers=headers)
    assert (deleted.status_code, deleted.content) == (204, b"")
    gone = env.client.get(f"/api/sites/{site['id']}", headers=headers)
    assert (gone.status_code, gone.json()) == (404, {"message": "Site not found."})
    assert env.client.get("/api/sites", headers=headers).json() == {"sites": []}


def test_api_create_takes_every_setting(env: Env) -> None:
    headers = env.headers(env.user("ada@example.com"))
    settings = {
        "domain": "app.example.com:8443",
        "name": "App",
        "timezone": "Asia/Tokyo",
        "tracking_enabled": False,
        "is_enabled": False,
        "tracking_type": "full",
        "channel_type": "app",
    }

    created = env.client.post("/api/sites", json=settings, headers=headers)

    assert created.status_code == 201
    assert created.json() == {"site": site_json(created.json()["site"]["id"], **settings)}


def test_an_empty_update_changes_nothing(env: Env) -> None:
    owner = env.user("ada@example.com")
    site = env.site(owner, name="Example")

    response = env.client.put(f"/api/sites/{site['id']}", json={}, headers=env.headers(owner))

    assert (response.status_code, response.json()) == (200, {"site": site})


# Spec 004 (/analytics/websites)


def test_analytics_website_lifecycle(env: Env) -> None:
    headers = env.headers(env.user("ada@example.com"))

    assert env.client.get("/analytics/websites", headers=headers).json() == {"data": []}

    created = env.client.post(
        "/analytics/websites",
        json={
            "name": "Example",
            "host": "example.com",
            "tracking_type": "lightweight",
            "channel_type": "website",
        },
        headers=headers,
    )
    assert created.status_code == 201
    website = created.json()["data"]
    assert created.json() == {"data": website_json(website["id"])}

    listed = env.client.get("/analytics/websites", headers=headers)
    assert (listed.status_code, listed.json()) == (200, {"data": [website]})

    shown = env.client.get(f"/analytics/websites/{website['id']}", headers=headers)
    assert (shown.status_code, shown.json()) == (200, {"data": website})

    updated = env.client.put(
        f"/analytics/websites/{website['id']}",
        json={"name": "Renamed", "host": "www.example.com", "is_enabled": False, "tracking_type": "full"},
        headers=headers,
    )
    assert (updated.status_code, updated.json()) == (
        200,
        {
            "data": website
            | {"name": "Renamed", "host": "www.example.com", "is_enabled": False, "tracking_type": "full"}
        },
    )

    deleted = env.client.delete(f"/analytics/websites/{website['id']}", headers=headers)
    assert (deleted.status_code, deleted.json()) == (200, {"ok": True})
    gone = env.client.get(f"/analytics/websites/{website['id']}", headers=headers)
    assert (gone.status_code, gone.json()) == (
        404,
        {"ok": False, "error": "Site not found.", "code": "NOT_FOUND"},
    )


def test_one_stored_object_seen_through_both_surfaces(env: Env) -> None:
    owner = env.user("ada@example.com")
    headers = env.headers(owner)
    site = env.site(owner, "example.com", name="Example")

    env.client.put(
        f"/analytics/websites/{site['id']}",
        json={"name": "Renamed", "host": "shop.example.com", "tracking_enabled": False},
        headers=headers,
    )

    assert env.client.get(f"/api/sites/{site['id']}", headers=headers).json() == {
        "site": site | {"name": "Renamed", "domain": "shop.example.com", "tracking_enabled": False}
    }
    assert env.client.get("/analytics/websites", headers=headers).json() == {
        "data": [
            website_json(
                site["id"],
                name="Renamed",
                host="shop.example.com",
                pixel_key=site["sid"],
                tracking_enabled=False,
                created_at=site["created_at"],
            )
        ]
    }

    env.client.delete(f"/api/sites/{site['id']}", headers=headers)
    assert env.client.get(f"/analytics/websites/{site['id']}", headers=headers).status_code == 404


# Validation, in both formats: /api answers 422 {"message", "errors"}, /analytics 400 VALIDATION_ERROR.

REQUIRED = {"name": ["The name field is required."], "domain": ["The domain field is required."]}

INVALID_CREATES: list[tuple[Any, dict[str, list[str]]]] = [
    ({}, REQUIRED),
    ({"name": "Example"}, {"domain": ["The domain field is required."]}),
    ({"name": "  ", "domain": "example.com"}, {"name": ["The name field is required."]}),
    (
        {"name": "x" * 201, "domain": "example.com"},
        {"name": ["The name may not be greater than 200 characters."]},
    ),
    (
        {"name": "Example", "domain": "not a host!"},
        {"domain": ["The domain must be a valid host name, such as example.com."]},
    ),
    (
        {"name": "Example", "domain": "example.com", "timezone": "Mars/Olympus_Mons"},
        {"timezone": ["The timezone must be a valid IANA time zone, such as Europe/London."]},
    ),
    (
        {"name": "Example", "domain": "example.com", "tracking_type": "heavy"},
        {"tracking_type": ["The tracking type must be one of: lightweight, full."]},
    ),
    (
        {"name": "Example", "domain": "example.com", "channel_type": "tv"},
        {"channel_type": ["The channel type must be one of: website, app, other."]},
    ),
    ({"name": 42, "domain": "example.com"}, {"name": ["The name field must be a string."]}),
    (
        {"name": "Example", "domain": "example.com", "tracking_enabled": "yes"},
        {"tracking_enabled": ["The tracking_enabled field must be true or false."]},
    ),
    ([{"name": "Example"}], {"data": ["The request body must be a JSON object."]}),
    ("Example", {"data": ["The request body must be a JSON object."]}),
]


def as_website(body: Any) -> Any:
    """The same request in spec 004's words: `host` for `domain`."""
    if not isinstance(body, dict):
        return body
    return {("host" if key == "domain" else key): value for key, value in body.items()}


def in_website_words(errors: dict[str, list[str]]) -> str:
    """Spec 004's error text for these /api errors: the messages joined, naming `host`, not `domain`."""
    return " ".join(m.replace("The domain ", "The host ") for ms in errors.values() for m in ms)


@pytest.mark.parametrize(("body", "errors"), INVALID_CREATES)
def test_api_create_validation(env: Env, body: Any, errors: dict[str, list[str]]) -> None:
    response = env.client.post("/api/sites", json=body, headers=env.headers(env.user("ada@example.com")))

    assert (response.status_code, response.json()) == (
        422,
        {"message": "The given data was invalid.", "errors": errors},
    )


@pytest.mark.parametrize(("body", "errors"), INVALID_CREATES)
def test_analytics_create_validation(env: Env, body: Any, errors: dict[str, list[str]]) -> None:
    response = env.client.post(
        "/analytics/websites", json=as_website(body), headers=env.headers(env.user("ada@example.com"))
    )

    assert (response.status_code, response.json()) == (
        400,
        {"ok": False, "error": in_website_words(errors), "code": "VALIDATION_ERROR"},
    )


def test_analytics_errors_name_host_as_the_client_sent_it(env: Env) -> None:
    headers = env.headers(env.user("ada@example.com"))

    missing = env.client.post("/analytics/websites", json={"name": "Example"}, headers=headers)
    bad = env.client.post("/analytics/websites", json={"name": "Example", "host": "a b"}, headers=headers)

    assert (missing.status_code, missing.json()) == (
        400,
        {"ok": False, "error": "The host field is required.", "code": "VALIDATION_ERROR"},
    )
    assert bad.json()["error"] == "The host must be a valid host name, such as example.com."


@pytest.mark.parametrize("path", ["/api/sites", "/analytics/websites"])
@pytest.mark.parametrize("body", [b"{", b'{"name": "Example",}', b"name=Example"])
def test_malformed_json(env: Env, path: str, body: bytes) -> None:
    headers = env.headers(env.user("ada@example.com")) | {"Content-Type": "application/json"}

    response = env.client.post(path, content=body, headers=headers)

    expected: dict[str, Any]
    if path.startswith("/api"):
        expected = {
            "message": "The given data was invalid.",
            "errors": {"data": ["The request body must be valid JSON."]},
        }
        assert (response.status_code, response.json()) == (422, expected)
    else:
        expected = {"ok": False, "error": "The request body must be valid JSON.", "code": "VALIDATION_ERROR"}
        assert (response.status_code, response.json()) == (400, expected)
    assert env.conn.execute("SELECT count(*) FROM sites").fetchone()[0] == 0


def test_update_validation_in_both_formats(env: Env) -> None:
    owner = env.user("ada@example.com")
    headers = env.headers(owner)
    site = env.site(owner)

    api = env.client.put(
        f"/api/sites/{site['id']}", json={"name": "", "timezone": "Nowhere/Land"}, headers=headers
    )
    analytics = env.client.put(
        f"/analytics/websites/{site['id']}", json={"host": "bad host"}, headers=headers
    )

    assert (api.status_code, api.json()) == (
        422,
        {
            "message": "The given data was invalid.",
            "errors": {
                "name": ["The name field is required."],
                "timezone": ["The timezone must be a valid IANA time zone, such as Europe/London."],
            },
        },
    )
    assert (analytics.status_code, analytics.json()) == (
        400,
        {
            "ok": False,
            "error": "The host must be a valid host name, such as example.com.",
            "code": "VALIDATION_ERROR",
        },
    )
    assert env.client.get(f"/api/sites/{site['id']}", headers=headers).json() == {"site": site}


# Who sees what


def test_the_creator_becomes_owner(env: Env) -> None:
    ada = env.user("ada@example.com")
    api = env.site(ada, "one.example.com")
    website = env.client.post(
        "/analytics/websites", json={"name": "Two", "host": "two.example.com"}, headers=env.headers(ada)
    ).json()["data"]

    memberships = env.conn.execute(
        "SELECT site_id, user_id, role FROM memberships ORDER BY site_id"
    ).fetchall()

    assert [tuple(m) for m in memberships] == [(api["id"], ada.id, "owner"), (website["id"], ada.id, "owner")]


def test_users_see_only_their_sites_and_server_admins_see_all(env: Env) -> None:
    root = env.user("root@example.com", admin=True)
    ada = env.user("ada@example.com")
    bob = env.user("bob@example.com")
    carol = env.user("carol@example.com")
    adas = env.site(ada, "ada.example.com")
    bobs = env.site(bob, "bob.example.com")
    shared = env.site(bob, "shared.example.com")
    env.member(shared["id"], ada, "viewer")

    def ids(user: Any, path: str, key: str) -> list[int]:
        response = env.client.get(path, headers=env.headers(user))
        assert response.status_code == 200
        return [s["id"] for s in response.json()[key]]

    for path, key in (("/api/sites", "sites"), ("/analytics/websites", "data")):
        assert ids(ada, path, key) == [adas["id"], shared["id"]]
        assert ids(bob, path, key) == [bobs["id"], shared["id"]]
        assert ids(carol, path, key) == []
        assert ids(root, path, key) == [adas["id"], bobs["id"], shared["id"]]
