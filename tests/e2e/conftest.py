"""In CI (`CI` set), an end-to-end test that skips fails the run: a check that did not run has not passed."""

from __future__ import annotations

import os

import pytest

_skipped: list[str] = []


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "e2e" in report.keywords:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped and _in_ci():
        print(f"\nCI: {len(_skipped)} end-to-end test(s) skipped, which CI counts as failed: {_skipped}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
