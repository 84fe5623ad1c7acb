"""The project's example conversations (eval/dialogs/), each replayed through /chat on real Postgres and Redis,
must end where the patient meant: booked, moved, cancelled, handed over, or nothing booked.

`make eval-dialog` prints the same table; here a conversation that stops reaching its end fails the suite.
"""

from __future__ import annotations

from pathlib import Path

from tools import eval_dialog
from tools.dialog_scripts import load_script

DIALOGS = Path(__file__).resolve().parents[3] / "eval" / "dialogs"


async def test_every_example_conversation_reaches_its_end_state(postgres_server_url: str, redis_url: str) -> None:
    scripts = [(path.stem, load_script(path)) for path in sorted(DIALOGS.glob("*.yaml"))]
    assert len(scripts) >= 28

    results = await eval_dialog.replay_all(scripts, postgres_server_url, redis_url)

    missed = {
        r.name: [f"reached {r.reached}", *r.problems, *(f"{e.said[:60]!r} -> {e.reply[:120]!r}" for e in r.transcript)]
        for r in results
        if not r.ok
    }
    assert missed == {}
