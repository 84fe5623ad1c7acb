"""The clinic's doctors and specialties, kept by each gateway copy between turns.

They change a few times a year and every turn reads them. A turn's first call (`repository.begin_turn`) says
which version of them is current (`clinic_version`, bumped in the same transaction as any change to doctors or
specialties), so a copy loads them again only when they changed, and never answers from an older version.
"""

from __future__ import annotations

from gateway.conversation.dialog import Clinic
from gateway.db import Connection


class ClinicCache:
    """The last `Clinic` loaded, with the version it was loaded at."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._clinic: Clinic | None = None

    async def current(self, conn: Connection, version: int) -> Clinic:
        """The clinic as of `version` or later: the one kept, unless it is older, then loaded on `conn`."""
        if self._clinic is None or self._version != version:
            # Read after `version` was: rows loaded now are at least that new (a newer load is kept under the
            # older number and only loaded once more on the next turn).
            self._clinic, self._version = await Clinic.load(conn), version
        return self._clinic
