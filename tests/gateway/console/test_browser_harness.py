"""The browser harness's own rule: without Chromium a browser test skips, saying how to install it, except in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import browser


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "chromium")
    return monkeypatch


def test_without_chromium_a_browser_test_skips_and_says_how_to_install_it(no_chromium: pytest.MonkeyPatch) -> None:
    no_chromium.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match=r"install-test-tools\.sh chromium"):
        browser.require_chromium()


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_in_ci_a_missing_chromium_fails_instead(no_chromium: pytest.MonkeyPatch, value: str) -> None:
    no_chromium.setenv("CI", value)

    with pytest.raises(pytest.fail.Exception, match=r"CI: .* is missing"):
        browser.require_chromium()


def test_with_chromium_there_nothing_is_said(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    present = tmp_path / "chromium"
    present.touch()
    monkeypatch.setattr(browser, "CHROMIUM", present)
    monkeypatch.setenv("CI", "1")

    browser.require_chromium()
