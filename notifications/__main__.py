"""`python -m notifications`: the notification worker, until SIGTERM."""

from __future__ import annotations

import asyncio

from gateway.log import configure_logging
from notifications.service import run
from notifications.settings import NotificationSettings


def main() -> None:
    settings = NotificationSettings()  # read from the environment
    configure_logging(settings.log_level)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
