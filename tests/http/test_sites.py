from __future__ import annotations

from tests.support import Env


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
