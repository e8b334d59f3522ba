"""First start: make sure someone can sign in."""

from __future__ import annotations

import logging

from appliance.accounts import users
from appliance.config import Config
from appliance.db import Database

log = logging.getLogger("almanac")

CREATE_ADMIN_HINT = "almanac user create --email you@example.com --password 'a-long-password' --admin"


async def first_admin(db: Database, config: Config) -> None:
    """With no user yet: create the admin from config (ALMANAC_ADMIN_*) or say how to."""
    row = await db.fetchone("SELECT count(*) AS n FROM users")
    if row is not None and row["n"] > 0:
        return
    if config.admin.email and config.admin.password:
        user = await users.create_user(
            db, email=config.admin.email, password=config.admin.password, name="Admin", is_admin=True
        )
        log.info("created the first admin user %s", user.email)
        return
    data = f" --data-dir {config.data_path}" if config.server.data_dir else ""
    message = (
        "No user exists yet. Create the first admin with:\n"
        f"  {CREATE_ADMIN_HINT}{data}\n"
        "or start with ALMANAC_ADMIN_EMAIL and ALMANAC_ADMIN_PASSWORD set."
    )
    print(message, flush=True)
