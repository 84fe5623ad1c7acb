"""Operator and patient-side commands.

    python -m gateway.cli chat --phone +59170000001      talk to a running gateway as a patient
    python -m gateway.cli migrate [--runtime-login]      apply database migrations (as the owner)
    python -m gateway.cli seed                           load the demo clinic
    python -m gateway.cli keys create --name n8n --scopes chat
    python -m gateway.cli keys list
    python -m gateway.cli keys revoke <prefix>
    python -m gateway.cli staff create --email ana@clinica.bo --name "Ana Pérez" --role recepcion
    python -m gateway.cli staff disable --email ana@clinica.bo
    python -m gateway.cli staff list

Database commands are the operator's: they connect as the owner of the tables, read from
MIGRATION_DATABASE_URL (else DATABASE_URL, where one role does everything, as in a bare development
database). `migrate --runtime-login` then makes the user and password in DATABASE_URL the gateway's
runtime login (a member of clinic_runtime): docs/OPERATIONS.md, "Database roles".
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import asyncpg
import httpx

from appointments.demo import seed_demo_clinic
from gateway import db
from gateway.console import admin, passwords, repository
from gateway.security import api_keys

# Where `make run` keeps the demo key, and where `chat` looks for one.
DEMO_KEY_FILE = Path(".data/demo-api-key")


def _owner_database_url() -> str:
    url = os.environ.get("MIGRATION_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("MIGRATION_DATABASE_URL (or DATABASE_URL) is not set: point it at your PostgreSQL")
    return url


async def _with_connection(work: Callable[[asyncpg.Connection], Awaitable[None]]) -> None:
    conn = await asyncpg.connect(_owner_database_url())
    try:
        await work(conn)
    finally:
        await conn.close()


async def _migrate(conn: asyncpg.Connection) -> None:
    applied = await db.migrate(conn)
    print(f"applied migrations: {applied}" if applied else "database is up to date")


async def _migrate_and_runtime_login(conn: asyncpg.Connection) -> None:
    await _migrate(conn)
    runtime_url = os.environ.get("DATABASE_URL")
    user, password = db.url_user(runtime_url) if runtime_url else (None, None)
    if user is None:
        raise SystemExit("--runtime-login needs DATABASE_URL naming the gateway's user (and its password)")
    if password is None:
        print(f"note: DATABASE_URL has no password, so {user!r} gets none: only trust authentication lets it in")
    try:
        created = await db.ensure_runtime_login(conn, user=user, password=password)
    except db.RoleError as exc:
        raise SystemExit(str(exc)) from None
    print(f"runtime login {user!r} {'created' if created else 'updated'} (member of {db.RUNTIME_GROUP})")


async def _seed(conn: asyncpg.Connection) -> None:
    counts = await seed_demo_clinic(conn)
    print("demo clinic: " + ", ".join(f"{count} {name}" for name, count in counts.items()))


def _keys_create(name: str, scopes: str) -> Callable[[asyncpg.Connection], Awaitable[None]]:
    async def create(conn: asyncpg.Connection) -> None:
        try:
            issued = await api_keys.create_api_key(conn, name=name, scopes=set(scopes.split(",")))
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
        print(f"created key '{name}' (prefix {issued.key.prefix}, scopes {','.join(sorted(issued.key.scopes))})")
        print("store it now, it is not shown again:")
        print(issued.secret)

    return create


async def _keys_list(conn: asyncpg.Connection) -> None:
    for key in await api_keys.list_api_keys(conn):
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        print(f"{key.prefix}  {key.name:<24} {','.join(sorted(key.scopes)):<18} {key.created_at:%Y-%m-%d}  {state}")


def _keys_revoke(prefix: str) -> Callable[[asyncpg.Connection], Awaitable[None]]:
    async def revoke(conn: asyncpg.Connection) -> None:
        if not await api_keys.revoke_api_key(conn, prefix=prefix):
            raise SystemExit(f"no active key with prefix {prefix}")
        print(f"revoked {prefix}; it stops working on the next request")

    return revoke


def read_password(*, from_stdin: bool, stdin: TextIO = sys.stdin) -> str:
    """The new user's password: one line of stdin, or typed twice at a prompt (never an argument: ps shows those)."""
    if from_stdin:
        password = stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password (12+ characters): ")
        if getpass.getpass("Again: ") != password:
            raise SystemExit("the two passwords differ; nothing was created")
    try:
        passwords.check_strength(password)
    except passwords.WeakPassword as exc:
        raise SystemExit(f"{exc}; nothing was created") from None
    return password


def _staff_create(args: argparse.Namespace, password: str) -> Callable[[asyncpg.Connection], Awaitable[None]]:
    async def create(conn: asyncpg.Connection) -> None:
        try:
            user = await admin.create(
                conn, email=args.email, full_name=args.name, role=args.role, doctor_id=args.doctor_id, password=password
            )
        except (repository.StaffUserError, passwords.WeakPassword) as exc:
            raise SystemExit(str(exc)) from None
        print(f"created staff user {user.id} ({user.role}); they sign in at /console/login")

    return create


async def _staff_list(conn: asyncpg.Connection) -> None:
    now = datetime.now(UTC)
    for user in await repository.list_users(conn):
        print(admin.describe(user, now))


def _staff_disable(email: str) -> Callable[[asyncpg.Connection], Awaitable[None]]:
    async def disable(conn: asyncpg.Connection) -> None:
        user = await admin.disable(conn, email=email, now=datetime.now(UTC))
        if user is None:
            raise SystemExit(f"no active staff user with the e-mail {email}")
        print(f"disabled staff user {user.id}; their sessions have ended")

    return disable


def chat(*, url: str, api_key: str, phone: str, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """A terminal conversation with the gateway, one line per message; ends on EOF or 'salir'."""
    interactive = stdin.isatty()
    print(f"Conversando con {url} como {phone}. Escriba 'salir' para terminar.", file=stdout)
    with httpx.Client(base_url=url, headers={"X-API-Key": api_key}, timeout=60) as client:
        while True:
            if interactive:
                print("usted> ", end="", file=stdout, flush=True)
            line = stdin.readline()
            if not line or line.strip().lower() in {"salir", "exit", "quit"}:
                return 0
            text = line.strip()
            if not text:
                continue
            try:
                answer = client.post("/chat", json={"messages": [{"role": "user", "content": text}], "user_id": phone})
            except httpx.HTTPError as exc:
                print(f"[no se pudo conectar con {url}: {exc}]", file=stdout, flush=True)
                return 1
            body = answer.json()
            if answer.status_code != 200:
                print(f"[error {answer.status_code}: {body.get('error', {}).get('message', body)}]", file=stdout)
                continue
            suffix = f"  [action: {body['action']}]" if body["action"] != "none" else ""
            print(f"clínica> {body['response']}{suffix}", file=stdout, flush=True)


def _default_api_key() -> str | None:
    if key := os.environ.get("GATEWAY_API_KEY"):
        return key
    return DEMO_KEY_FILE.read_text().strip() if DEMO_KEY_FILE.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.cli", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    chat_cmd = commands.add_parser("chat", help="talk to a running gateway as a patient")
    chat_cmd.add_argument("--phone", default="+59170000001", help="the patient's phone number, E.164")
    chat_cmd.add_argument("--url", default=os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000"))
    chat_cmd.add_argument("--api-key", default=None, help="default: $GATEWAY_API_KEY, else the key make run saved")

    migrate = commands.add_parser("migrate", help="apply pending migrations")
    migrate.add_argument(
        "--runtime-login",
        action="store_true",
        help="also create (or set the password of) DATABASE_URL's user as the gateway's runtime login",
    )
    commands.add_parser("seed", help="load (or refresh) the demo clinic")

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(dest="keys_command", required=True)
    create = keys.add_parser("create", help="issue a key (printed once)")
    create.add_argument("--name", required=True)
    create.add_argument("--scopes", default="chat", help="comma-separated: chat, staff, admin")
    keys.add_parser("list", help="list keys (never their secrets)")
    revoke = keys.add_parser("revoke", help="revoke a key by its prefix")
    revoke.add_argument("prefix")

    staff_cmd = commands.add_parser("staff", help="manage staff console users")
    staff = staff_cmd.add_subparsers(dest="staff_command", required=True)
    staff_create = staff.add_parser("create", help="add a person who signs in to /console")
    staff_create.add_argument("--email", required=True)
    staff_create.add_argument("--name", required=True, help="full name, as the console greets them")
    staff_create.add_argument("--role", required=True, choices=repository.ROLES)
    staff_create.add_argument("--doctor-id", type=int, default=None, help="a medico's doctor (required for medico)")
    staff_create.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin (no prompt)"
    )
    staff.add_parser("list", help="list staff users (never their password hashes)")
    staff_disable = staff.add_parser("disable", help="disable a user and end their sessions")
    staff_disable.add_argument("--email", required=True)

    args = parser.parse_args(argv)
    if args.command == "chat":
        api_key = args.api_key or _default_api_key()
        if not api_key:
            parser.error("no API key: pass --api-key, set GATEWAY_API_KEY, or start the stack with make run")
        return chat(url=args.url, api_key=api_key, phone=args.phone)

    work: Callable[[asyncpg.Connection], Awaitable[None]]
    if args.command == "migrate":
        work = _migrate_and_runtime_login if args.runtime_login else _migrate
    elif args.command == "seed":
        work = _seed
    elif args.command == "staff":
        if args.staff_command == "create":
            if (args.role == "medico") != (args.doctor_id is not None):
                parser.error("--doctor-id is required for --role medico, and only for it")
            work = _staff_create(args, read_password(from_stdin=args.password_stdin))
        elif args.staff_command == "list":
            work = _staff_list
        else:
            work = _staff_disable(args.email)
    elif args.keys_command == "create":
        work = _keys_create(args.name, args.scopes)
    elif args.keys_command == "list":
        work = _keys_list
    else:
        work = _keys_revoke(args.prefix)
    try:
        asyncio.run(_with_connection(work))
    except asyncpg.InsufficientPrivilegeError as exc:
        raise SystemExit(
            f"{exc}: operator commands need the owner's URL in MIGRATION_DATABASE_URL, "
            "not the gateway's runtime role (docs/OPERATIONS.md, Database roles)"
        ) from None
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
