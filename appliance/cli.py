"""The `almanac` command line. Errors are one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from appliance import __version__
from appliance.accounts import credentials, secrets, users
from appliance.clock import iso
from appliance.config import Config, ConfigError, load_config
from appliance.db import migrations, open_connection, transaction
from appliance.errors import AlmanacError, Invalid

EXIT_ERROR = 1
EXIT_CONFIG = 2


class CommandError(Exception):
    """A command cannot do what was asked; the message says why."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="almanac", description="Self-hosted web analytics appliance.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="TOML config file (also ALMANAC_CONFIG)")
    common.add_argument("--data-dir", help="data directory (default: the platform's user data dir)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", parents=[common], help="run the appliance")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")

    user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create = user.add_parser("create", parents=[common], help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="at least 8 characters (asked for when omitted)")
    create.add_argument("--name", default="")
    create.add_argument("--admin", action="store_true", help="server-wide admin (the first user always is)")
    user.add_parser("list", parents=[common], help="list users")
    passwd = user.add_parser("passwd", parents=[common], help="set a user's password")
    passwd.add_argument("--email", required=True)
    passwd.add_argument("--password", help="at least 8 characters (asked for when omitted)")

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    token_create = token.add_parser("create", parents=[common], help="create an API token (printed once)")
    token_create.add_argument("--email", required=True)
    token_create.add_argument("--name", default="cli")

    backup = sub.add_parser("backup", parents=[common], help="consistent online copy of the database")
    backup.add_argument("dest", help="file to write, or a directory to write a dated file into")

    sub.add_parser("check", parents=[common], help="check config, migrations and database integrity")
    rebuild = sub.add_parser(
        "rebuild-rollups", parents=[common], help="rebuild the pre-aggregated stats from the raw events"
    )
    rebuild.add_argument("--site", type=int, help="only this site (default: every site)")
    sub.add_parser("version", help="print the version")
    return parser


def _config(args: argparse.Namespace) -> Config:
    overrides: dict[str, dict[str, object]] = {"server": {}}
    if getattr(args, "data_dir", None):
        overrides["server"]["data_dir"] = args.data_dir
    if getattr(args, "host", None):
        overrides["server"]["host"] = args.host
    if getattr(args, "port", None) is not None:
        overrides["server"]["port"] = args.port
    return load_config(getattr(args, "config", None), os.environ, overrides)


def _connect(config: Config) -> sqlite3.Connection:
    """A migrated read-write connection, for commands that run beside (or instead of) the server."""
    conn = open_connection(config.database_path, config.database)
    migrations.migrate(conn, config.data_path)
    return conn


def _password(given: str | None) -> str:
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise CommandError("--password is required when not run from a terminal")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise CommandError("the passwords differ")
    return first


def _invalid(exc: Invalid) -> str:
    return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.errors.items())


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    from appliance.server import serve

    serve(config)
    return 0


def cmd_user(args: argparse.Namespace, config: Config) -> int:
    conn = _connect(config)
    try:
        if args.action == "list":
            for user in users.list_users(conn):
                role = "admin" if user.is_admin else "user"
                print(f"{user.id}\t{user.email}\t{user.name}\t{role}\t{iso(user.created_at)}")
            return 0
        password = _password(args.password)
        if args.action == "create":
            email, name = args.email.strip(), args.name.strip()
            users.check_new_user(email, password, name)
            password_hash = secrets.hash_password(password)
            with transaction(conn):
                is_admin = args.admin or users.count_users(conn) == 0
                user = users.insert_user(
                    conn, email=email, name=name, password_hash=password_hash, is_admin=is_admin
                )
            print(f"created user {user.id} <{user.email}>{' (admin)' if user.is_admin else ''}")
            return 0
        errors = users.password_errors(password)
        if errors:
            raise Invalid({"password": errors})
        password_hash = secrets.hash_password(password)
        with transaction(conn):
            found = users.find_user(conn, args.email)
            if found is None:
                raise CommandError(f"no user with email {args.email}")
            users.set_password_hash(conn, found.id, password_hash)
        print(f"password changed for <{found.email}>")
        return 0
    finally:
        conn.close()


def cmd_token(args: argparse.Namespace, config: Config) -> int:
    conn = _connect(config)
    try:
        with transaction(conn):
            found = users.find_user(conn, args.email)
            if found is None:
                raise CommandError(f"no user with email {args.email}")
            new = credentials.insert_token(conn, found.id, args.name)
        print(new.token)
        return 0
    finally:
        conn.close()


def cmd_backup(args: argparse.Namespace, config: Config) -> int:
    if not config.database_path.exists():
        raise CommandError(f"no database at {config.database_path}")
    dest = Path(args.dest).expanduser()
    if args.dest.endswith("/") or dest.is_dir():  # "backups/" means a folder, made when missing
        dest.mkdir(parents=True, exist_ok=True)
        dest = dest / f"almanac-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.db"
    if dest.exists():
        raise CommandError(f"{dest} exists already; choose a new file")
    dest.parent.mkdir(parents=True, exist_ok=True)
    conn = open_connection(config.database_path, config.database)
    try:
        # VACUUM INTO reads one snapshot, so the copy is consistent while the server writes.
        conn.execute("VACUUM INTO ?", (str(dest),))
    finally:
        conn.close()
    check = sqlite3.connect(dest)
    try:
        result = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if result != "ok":
        raise CommandError(f"the backup at {dest} failed its integrity check: {result}")
    print(f"backup written to {dest}")
    return 0


def cmd_check(args: argparse.Namespace, config: Config) -> int:
    print(f"config: ok (data directory {config.data_path})")
    if not config.database_path.exists():
        print("database: none yet (created on first start)")
        return 0
    conn = open_connection(config.database_path, config.database, readonly=True)
    try:
        todo = migrations.pending(conn)
        version = migrations.current_version(conn)
        print(
            f"migrations: at version {version}, {len(todo)} pending"
            + (f" ({', '.join(m.name for m in todo)})" if todo else "")
        )
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()
    if problems != ["ok"]:
        raise CommandError("integrity check failed: " + "; ".join(problems[:5]))
    print("integrity: ok")
    return 0


def cmd_rebuild_rollups(args: argparse.Namespace, config: Config) -> int:
    from appliance.stats import rollups

    conn = _connect(config)
    try:
        site_ids = rollups.sites_to_rebuild(conn, args.site)
        if not site_ids and args.site is not None:
            raise CommandError(f"no site with id {args.site}")
        started = time.monotonic()
        built = asyncio.run(rollups.rebuild(conn, site_ids))
        days = len({(p.site_id, p.day) for p in built if p.site_id in site_ids})
        print(f"rebuilt {days} days of {len(site_ids)} sites in {time.monotonic() - started:.2f} s")
        return 0
    finally:
        conn.close()


COMMANDS: dict[str, Callable[[argparse.Namespace, Config], int]] = {
    "serve": cmd_serve,
    "user": cmd_user,
    "token": cmd_token,
    "backup": cmd_backup,
    "check": cmd_check,
    "rebuild-rollups": cmd_rebuild_rollups,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "version":
        print(f"almanac {__version__}")
        return 0
    try:
        config = _config(args)
    except ConfigError as exc:
        print(f"almanac: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        return COMMANDS[args.command](args, config)
    except Invalid as exc:
        print(f"almanac: {_invalid(exc)}", file=sys.stderr)
    except (CommandError, AlmanacError, migrations.MigrationError) as exc:
        print(f"almanac: {exc}", file=sys.stderr)
    except sqlite3.Error as exc:
        print(f"almanac: database error: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"almanac: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
    except KeyboardInterrupt:
        print("almanac: interrupted", file=sys.stderr)
    return EXIT_ERROR
