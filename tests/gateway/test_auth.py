from __future__ import annotations

import asyncpg
import httpx
import pytest

from gateway.security.api_keys import authenticate, create_api_key, revoke_api_key
from tests.support.gateway import MakeClient

BODY = {"messages": [{"role": "user", "content": "Hola"}], "user_id": "+59170123456"}


async def assert_unauthorized(answer: httpx.Response) -> None:
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"


async def test_missing_key_is_401(client: httpx.AsyncClient) -> None:
    await assert_unauthorized(await client.post("/chat", json=BODY))


@pytest.mark.parametrize("key", ["", "nonsense", "ck_00000000_" + "x" * 43, "Bearer abc"])
async def test_unknown_or_malformed_key_is_401(client: httpx.AsyncClient, key: str) -> None:
    await assert_unauthorized(await client.post("/chat", json=BODY, headers={"X-API-Key": key}))


async def test_right_prefix_wrong_secret_is_401(client: httpx.AsyncClient, api_key: str) -> None:
    tampered = api_key[:-4] + ("aaaa" if not api_key.endswith("aaaa") else "bbbb")
    await assert_unauthorized(await client.post("/chat", json=BODY, headers={"X-API-Key": tampered}))


async def test_revoked_key_stops_working_at_once(
    client: httpx.AsyncClient, api_key: str, conn: asyncpg.Connection
) -> None:
    assert (await client.post("/chat", json=BODY, headers={"X-API-Key": api_key})).status_code == 200
    assert await revoke_api_key(conn, prefix=api_key.split("_")[1])
    await assert_unauthorized(await client.post("/chat", json=BODY, headers={"X-API-Key": api_key}))


@pytest.mark.parametrize(("cache_seconds", "second"), [(60, 200), (0, 401)])
async def test_a_chat_key_once_found_is_not_looked_up_again_for_a_while(
    make_client: MakeClient, api_key: str, conn: asyncpg.Connection, cache_seconds: int, second: int
) -> None:
    client = await make_client(CHAT_KEY_CACHE_SECONDS=str(cache_seconds))
    assert (await client.post("/chat", json=BODY, headers={"X-API-Key": api_key})).status_code == 200
    # A lookup by the secret would no longer find the key; the copy that found it still admits it.
    await conn.execute("UPDATE api_keys SET key_hash = sha256('another secret')")

    answer = await client.post("/chat", json=BODY, headers={"X-API-Key": api_key})

    assert answer.status_code == second


async def test_key_without_chat_scope_is_403(client: httpx.AsyncClient, conn: asyncpg.Connection) -> None:
    staff = await create_api_key(conn, name="reception", scopes={"staff"})
    answer = await client.post("/chat", json=BODY, headers={"X-API-Key": staff.secret})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"


async def test_keys_are_stored_only_as_hashes(conn: asyncpg.Connection) -> None:
    issued = await create_api_key(conn, name="n8n", scopes={"chat"})
    row = await conn.fetchrow("SELECT * FROM api_keys WHERE id = $1", issued.key.id)
    assert row is not None
    assert issued.secret not in {str(v) for v in row.values()}
    assert issued.secret.encode() not in bytes(row["key_hash"])


async def test_unknown_scope_is_refused(conn: asyncpg.Connection) -> None:
    with pytest.raises(ValueError, match="scopes"):
        await create_api_key(conn, name="x", scopes={"root"})


async def test_every_issued_key_authenticates(conn: asyncpg.Connection) -> None:
    # Secrets are url-safe base64 and often contain "_" (half of them do): parsing must not trip on it.

    issued = [await create_api_key(conn, name=f"k{i}", scopes={"chat"}) for i in range(20)]
    assert any("_" in key.secret.split("_", 2)[2] for key in issued)
    for key in issued:
        found = await authenticate(conn, key.secret)
        assert found is not None and found.id == key.key.id
