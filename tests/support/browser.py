"""Real-browser tests: the gateway served by uvicorn on a loopback port, and Debian's Chromium driven by Playwright.

Playwright never downloads a browser here (these machines have no network): it launches /usr/bin/chromium, which
`deploy/scripts/install-test-tools.sh chromium` installs. Without it the tests skip, saying so; with CI set they
fail instead, since a check that did not run has not passed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright

from tests.support.services import free_port

CHROMIUM: Final = Path("/usr/bin/chromium")

# What Chromium needs on a machine with a closed network: without the background-networking flags it keeps
# dialling Google's hosts and logging each refusal (python-svc.md, "chromium").
CHROMIUM_ARGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)

SCREENSHOTS: Final = Path(__file__).resolve().parents[2] / "docs" / "img"


def in_ci() -> bool:
    """As tests/e2e/conftest.py reads CI: set to anything but empty/0/false/no."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_chromium() -> None:
    """Skip (locally) or fail (in CI) when Debian's Chromium is not installed."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: run `deploy/scripts/install-test-tools.sh chromium` (apt package chromium)"
    if in_ci():
        pytest.fail(f"CI: {reason}")
    pytest.skip(reason)


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """`app` under a real uvicorn server on a free loopback port, in this event loop; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()  # raises what stopped it
                raise AssertionError("uvicorn stopped before it started serving")
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, launched by Playwright (never a browser of Playwright's own)."""
    require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def new_page(browser: Browser, base_url: str) -> AsyncIterator[Page]:
    """A page in a fresh context (its own cookies: one person), a phone-ish width so the layout is the one used."""
    context = await browser.new_context(base_url=base_url, viewport={"width": 900, "height": 700}, locale="es-BO")
    context.set_default_timeout(10_000)
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def screenshot(page: Page, name: str) -> None:
    """Save docs/img/<name>.png when SAVE_SCREENSHOTS=1, so ordinary runs leave the tree clean."""
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
