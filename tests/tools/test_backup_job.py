"""The compose stack's scheduled backup (deploy/backup/pg-dump-daily.sh) and the restore drill: the job's dump,
restored with `make restore`'s tool into a fresh database, holds every row; old dumps age out, only after a good
one is written."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.harness import REPO
from tests.support.services import free_port
from tests.tools.test_backup import backup_cli, fill_clinic, fingerprint

JOB = REPO / "deploy" / "backup" / "pg-dump-daily.sh"
DAY = 24 * 3600

pytestmark = pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed here")


def run_job(url: str, backup_dir: Path, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The job as compose runs it (libpq variables, the password from a file), once."""
    parts = urlsplit(url)
    password = tmp_path / "postgres_password"
    password.write_text(parts.password or "")
    variables = {
        "PATH": os.environ["PATH"],
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "postgres",
        "PGDATABASE": parts.path.lstrip("/"),
        "PGPASSWORD_FILE": str(password),
        "BACKUP_DIR": str(backup_dir),
        "BACKUP_KEEP_DAYS": "14",
        "BACKUP_ONCE": "1",
        "BACKUP_METRICS_DIR": str(tmp_path / "metrics"),
        **env,
    }
    return subprocess.run(["sh", str(JOB)], env=variables, capture_output=True, text=True, timeout=120)


def aged(path: Path, days: float) -> Path:
    path.write_bytes(b"an older dump")
    stamp = time.time() - days * DAY
    os.utime(path, (stamp, stamp))
    return path


def test_the_jobs_dump_restores_every_row_and_old_dumps_age_out(
    database_url: str, missing_database_url: str, tmp_path: Path
) -> None:
    asyncio.run(fill_clinic(database_url))
    backups = tmp_path / "backups"
    backups.mkdir()
    old = aged(backups / "clinic-20260101T031500Z.dump", days=20)
    recent = aged(backups / "clinic-20261125T031500Z.dump", days=2)

    result = run_job(database_url, backups, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "backup: written clinic-" in result.stdout and "deleted clinic-20260101T031500Z.dump" in result.stdout
    assert not old.exists() and recent.exists()
    (written,) = [p for p in backups.glob("clinic-*.dump") if p != recent]
    assert not list(backups.glob("*.partial"))

    metrics = {
        sample.name: sample.value
        for family in text_string_to_metric_families((tmp_path / "metrics" / "clinic_backup.prom").read_text())
        for sample in family.samples
    }
    assert metrics == {
        "clinic_backup_last_success_timestamp_seconds": pytest.approx(written.stat().st_mtime, abs=1),
        "clinic_backup_last_size_bytes": written.stat().st_size,
    }

    restored = backup_cli("restore", str(written), "--database-url", missing_database_url)
    assert restored.returncode == 0, restored.stderr
    assert asyncio.run(fingerprint(missing_database_url)) == asyncio.run(fingerprint(database_url))


def test_a_failed_night_writes_nothing_and_deletes_nothing(database_url: str, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    old = aged(backups / "clinic-20260101T031500Z.dump", days=20)

    result = run_job(database_url, backups, tmp_path, PGPORT=str(free_port()))  # nothing listens there

    assert result.returncode == 1
    assert "FAILED: no new backup" in result.stdout
    assert sorted(p.name for p in backups.iterdir()) == [old.name]  # the old dump is kept, no partial is left
    assert not (tmp_path / "metrics").exists()  # nothing new to publish: the last success stays as it was


def test_compose_runs_the_job_on_the_servers_own_image_into_the_restore_folder() -> None:
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    job, postgres = services["backup"], services["postgres"]
    assert job["image"] == postgres["image"]  # pg_dump of the server's own version
    assert job["entrypoint"] == ["/bin/sh", "/etc/clinic-backup/pg-dump-daily.sh"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in job["volumes"]}
    assert mounts == {"/etc/clinic-backup": "./deploy/backup", "/backups": "./backups", "/metrics": "backup-metrics"}
    exporter = services["node-exporter"]
    assert "backup-metrics:/textfile:ro" in exporter["volumes"]
    assert "--collector.textfile.directory=/textfile" in exporter["command"]
    assert job["environment"]["PGPASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert job["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert subprocess.run(["git", "check-ignore", "-q", "backups/clinic-1.dump"], cwd=REPO).returncode == 0
