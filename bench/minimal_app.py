"""The ceiling of our stack for `bench.gateway_bench`: FastAPI under the same uvicorn, parsing the body /chat
parses (gateway.schemas.ChatRequest) and doing one SELECT and one INSERT per request on the same Postgres.

`uvicorn --factory bench.minimal_app:create_app`, with BENCH_DATABASE_URL naming the bench's database (its
`minimal_turns` table is made by the bench). Whatever the gateway does beyond this is what a turn costs us.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request

from gateway.schemas import ChatRequest

# Made by the bench as the database's owner, before the app starts.
TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS minimal_turns (id bigserial PRIMARY KEY, phone text NOT NULL, body text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS minimal_turns_phone ON minimal_turns (phone)",
)


def create_app() -> FastAPI:
    database_url = os.environ["BENCH_DATABASE_URL"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The gateway's pool size (DB_POOL_MAX_SIZE default).
        app.state.pool = await asyncpg.create_pool(database_url, min_size=1, max_size=10, command_timeout=30)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/chat")
    async def chat(body: ChatRequest, request: Request) -> dict[str, Any]:
        pool: asyncpg.Pool = request.app.state.pool
        text = body.messages[-1].content
        async with pool.acquire() as conn:
            turns = await conn.fetchval("SELECT count(*) FROM minimal_turns WHERE phone = $1", body.user_id)
            await conn.execute("INSERT INTO minimal_turns (phone, body) VALUES ($1, $2)", body.user_id, text)
        return {"response": f"Recibido ({turns + 1}).", "action": "none", "verified": False}

    return app
