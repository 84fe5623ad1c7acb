"""PostgreSQL access: the connection pool and versioned migrations."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import asyncpg
import structlog

# What repository functions take: a plain connection, one borrowed from the pool, or one that wraps either.
from appointments.repository.connection import Connection as Connection

log = structlog.get_logger(__name__)
T = TypeVar("T")


# Raised by a connection whose session is gone, though the server may be up: it terminated the session
# (pg_terminate_backend, an idle timeout, a restart) while the connection sat in the pool. asyncpg, when it has
# read the server's goodbye but not yet the socket's close, says InternalClientError ("cannot switch to state").
SESSION_LOST: tuple[type[Exception], ...] = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.IdleSessionTimeoutError,
    asyncpg.IdleInTransactionSessionTimeoutError,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Any constant works; it only has to be the same for every gateway copy.
_MIGRATION_LOCK_ID = 5_917_001
# The group role migrations grant the runtime DML to (0011_runtime_role.sql); login roles join it.
RUNTIME_GROUP = "clinic_runtime"
_SCRAM_ITERATIONS = 4096


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(RuntimeError):
    """The database disagrees with the migration files (edited after being applied, or gaps)."""


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; names must look like `0001_conversations.sql`."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_FILE.match(path.name)
        if match is None:
            raise MigrationError(f"bad migration file name: {path.name}")
        migrations.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise MigrationError(f"migration versions must be 1..n without gaps, got {versions}")
    return migrations


async def migrate(conn: asyncpg.Connection, migrations: list[Migration] | None = None) -> list[int]:
    """Apply the pending migrations, each in its own transaction; return the versions applied.

    Safe to run from several processes at once (an advisory lock serialises them) and
    safe to run again (applied versions are skipped, and their files must be unchanged).
    """
    migrations = load_migrations() if migrations is None else migrations
    applied_now: list[int] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_ID)
    try:
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
        applied = {row["version"]: row["checksum"] for row in rows}
        for migration in migrations:
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} was edited after it was applied; "
                        "add a new migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            applied_now.append(migration.version)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_ID)
    return applied_now


async def create_pool(
    database_url: str, *, min_size: int, max_size: int, connect_timeout: float = 60.0
) -> asyncpg.Pool:
    """A connection pool; raises if the database cannot be reached."""
    pool = await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        command_timeout=30,
        timeout=connect_timeout,
        reset=_keep_session,
    )
    assert pool is not None
    return pool


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection given back to the pool needs beyond asyncpg's own rollback of an open transaction:
    nothing, which saves a round trip per use.

    asyncpg's default sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;` on every
    release. The gateway's pooled sessions never hold what that undoes: its advisory locks are transaction-scoped
    (`pg_advisory_xact_lock`), it sets no session settings, opens cursors only inside transactions and listens on
    a connection of its own (the job queue's). Migrations, which take a session lock, run on their own connection.
    """


async def on_live_session(
    pool: asyncpg.Pool, work: Callable[[Connection], Awaitable[T]], *, acquire_timeout: float
) -> T:
    """`work(conn)` on a pooled connection; when that connection's session turns out to be gone already, once
    more on another (the broken one is discarded by the pool, its reset failing).

    After the server ends sessions (every one, when it restarts), the pool holds connections that fail on their
    next use although the server is up: that is not the server failing, so it must not trip a breaker or cost
    the caller a retry's backoff. A second loss is raised. `work` must be safe to run twice (a read, or a
    statement whose second run changes nothing).
    """
    try:
        async with pool.acquire(timeout=acquire_timeout) as conn:
            return await work(conn)
    except SESSION_LOST as exc:
        log.info("postgres_session_lost", error=type(exc).__name__)
    async with pool.acquire(timeout=acquire_timeout) as conn:
        return await work(conn)


class RoleError(RuntimeError):
    """A login role that cannot safely serve as the runtime role (or cannot be made one)."""


def url_user(url: str) -> tuple[str | None, str | None]:
    """The user and password a `postgresql://` URL names (None where it names none)."""
    parts = urlsplit(url)
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return user, password


def with_user(url: str, user: str, password: str | None = None) -> str:
    """`url` logging in as `user` (with `password`, else none); host, database and options kept."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    credentials = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    return urlunsplit(parts._replace(netloc=f"{credentials}@{host}"))


def scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = _SCRAM_ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password`, computed here (RFC 5802/7677).

    Sent instead of the password, so the password never appears in a statement the server might log.
    SASLprep is the identity on printable ASCII, which is all that is accepted.
    """
    if not password or not all(33 <= ord(ch) <= 126 for ch in password):
        raise RoleError("the runtime role's password must be printable ASCII without spaces")
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


_ENSURE_GROUP_SQL = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{RUNTIME_GROUP}') THEN
        CREATE ROLE {RUNTIME_GROUP} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$
"""


async def ensure_runtime_group(conn: asyncpg.Connection) -> None:
    """Create the NOLOGIN group role when this server has none yet (before restoring grants to it)."""
    await conn.execute(_ENSURE_GROUP_SQL)


async def ensure_runtime_login(conn: asyncpg.Connection, *, user: str, password: str | None) -> bool:
    """Make `user` a login role that holds the runtime grants and nothing else; True when created.

    Run as the owner (after `migrate`), again whenever the password changes: an existing role gets the
    new password. `password=None` leaves it without one (trust authentication, development only).
    Refuses a role that is a superuser, the connected role itself, or owns anything in this database.
    """
    owner = await conn.fetchval("SELECT current_user")
    if user == owner:
        raise RoleError(f"the runtime role {user!r} is the role running migrations; give the gateway its own")
    if not await conn.fetchval("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", RUNTIME_GROUP):
        raise RoleError(f"role {RUNTIME_GROUP} does not exist: run migrations first")
    verifier = scram_verifier(password) if password is not None else None
    role = await conn.fetchval("SELECT quote_ident($1)", user)
    secret = "NULL" if verifier is None else await conn.fetchval("SELECT quote_literal($1)", verifier)
    # CREATE ROLE's defaults are NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS; ALTER
    # ROLE may not even name the superuser-only ones unless run by a superuser, so they are checked.
    attributes = f"LOGIN INHERIT NOCREATEDB NOCREATEROLE PASSWORD {secret}"
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_ID)
    try:
        existing = await conn.fetchrow(
            """
            SELECT oid, rolsuper OR rolreplication OR rolbypassrls AS privileged,
                   pg_has_role(oid, current_user, 'MEMBER') AS member_of_owner
            FROM pg_roles WHERE rolname = $1
            """,
            user,
        )
        created = existing is None
        if existing is not None:
            if existing["privileged"]:
                raise RoleError(f"role {user!r} is a superuser or may replicate or bypass row security")
            if existing["member_of_owner"]:
                raise RoleError(f"role {user!r} is a member of {owner!r}, so it could act as the owner")
            owned = await conn.fetchval(_OWNED_OBJECTS_SQL, existing["oid"])
            if owned:
                raise RoleError(f"role {user!r} owns {owned} objects in this database; the runtime role must own none")
            await conn.execute(f"ALTER ROLE {role} {attributes}")
        else:
            try:
                await conn.execute(f"CREATE ROLE {role} {attributes}")
            except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):  # made a moment ago elsewhere
                await conn.execute(f"ALTER ROLE {role} {attributes}")
                created = False
        await conn.execute(f"GRANT {RUNTIME_GROUP} TO {role}")
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_ID)
    return created


# Objects in this database owned by a role: tables, sequences, views, functions, types, schemas.
_OWNED_OBJECTS_SQL = """
SELECT (SELECT count(*) FROM pg_class WHERE relowner = $1)
     + (SELECT count(*) FROM pg_proc WHERE proowner = $1)
     + (SELECT count(*) FROM pg_namespace WHERE nspowner = $1)
"""


async def role_problems(conn: Connection) -> list[str]:
    """Why the connected role is more powerful than the runtime role should be; empty when it is not.

    The gateway logs these at start-up: a role that owns `audit_log` (or is a superuser) can disable
    its append-only trigger and rewrite history.
    """
    row = await conn.fetchrow(
        """
        SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole,
               c.oid IS NOT NULL AND pg_has_role(current_user, c.relowner, 'MEMBER') AS owns_audit_log,
               c.oid IS NOT NULL AND (has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE')
                   OR has_table_privilege(c.oid, 'TRUNCATE')) AS may_change_audit_log
        FROM pg_roles r LEFT JOIN pg_class c ON c.oid = to_regclass('audit_log')
        WHERE r.rolname = current_user
        """
    )
    assert row is not None
    found = {
        "superuser": row["rolsuper"],
        "bypasses row security": row["rolbypassrls"],
        "may create roles": row["rolcreaterole"],
        "owns audit_log": row["owns_audit_log"],
        "may update, delete or truncate audit_log": row["may_change_audit_log"],
    }
    return [problem for problem, present in found.items() if present]
