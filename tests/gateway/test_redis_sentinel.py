"""Redis that survives a node: with REDIS_SENTINELS the gateway follows a failover to the promoted replica.

Real processes: a password-protected master, its replica and a sentinel watching them (Debian's redis-server, the
one the tests' own Redis is), on free ports; the master is killed and the sentinel promotes the replica.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis.asyncio as redis
from redis.asyncio.sentinel import Sentinel
from redis.exceptions import RedisError

from gateway.redis_connection import connect_redis
from gateway.settings import sentinel_addresses
from tests.support.gateway import MakeClient, gateway_settings
from tests.support.services import free_port

REDIS_SERVER = shutil.which("redis-server")
PASSWORD = "sentinel-test-password-d41d8cd98f00b204"
MASTER_NAME = "clinic"

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed here")


@dataclass
class SentinelGroup:
    """A master, its replica and one sentinel (quorum 1) that fails over half a second after losing the master."""

    master_port: int
    replica_port: int
    sentinel_port: int
    processes: dict[str, subprocess.Popen[bytes]]

    @property
    def sentinels(self) -> str:
        return f"127.0.0.1:{self.sentinel_port}"

    def redis_url(self, database: int = 3) -> str:
        # The host is not used through Sentinel: only the password and the database are.
        return f"redis://:{PASSWORD}@unused-host:6379/{database}"

    def kill_master(self) -> None:
        self.processes["master"].send_signal(signal.SIGKILL)
        self.processes["master"].wait(timeout=10)

    async def master_address(self) -> tuple[str, int]:
        sentinel = Sentinel(sentinel_addresses(self.sentinels), sentinel_kwargs={"password": PASSWORD})
        address = await sentinel.discover_master(MASTER_NAME)
        return str(address[0]), int(address[1])


def _server(name: str, args: list[str], directory: Path) -> subprocess.Popen[bytes]:
    assert REDIS_SERVER is not None
    directory.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [REDIS_SERVER, *args],
        cwd=directory,
        stdout=(directory / f"{name}.log").open("wb"),
        stderr=subprocess.STDOUT,
    )


def _cli(port: int, *command: str) -> str:
    result = subprocess.run(
        ["redis-cli", "-p", str(port), "-a", PASSWORD, "--no-auth-warning", *command],
        capture_output=True,
        text=True,
        timeout=5,
    )
    return result.stdout


def _answers(port: int) -> bool:
    return _cli(port, "ping").strip() == "PONG"


def _in_sync(replica: int) -> bool:
    return "master_link_status:up" in _cli(replica, "info", "replication")


def _until(condition: object, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.fixture
def group(tmp_path: Path) -> Iterator[SentinelGroup]:
    master, replica, sentinel = free_port(), free_port(), free_port()
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", PASSWORD,
              "--masterauth", PASSWORD]  # fmt: skip
    processes = {"master": _server("master", ["--port", str(master), *common], tmp_path / "master")}
    processes["replica"] = _server(
        "replica", ["--port", str(replica), *common, "--replicaof", "127.0.0.1", str(master)], tmp_path / "replica"
    )
    config = tmp_path / "sentinel" / "sentinel.conf"
    config.parent.mkdir()
    config.write_text(
        f"port {sentinel}\nbind 127.0.0.1\nrequirepass {PASSWORD}\n"
        f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master} 1\n"
        f"sentinel auth-pass {MASTER_NAME} {PASSWORD}\n"
        f"sentinel down-after-milliseconds {MASTER_NAME} 500\n"
        f"sentinel failover-timeout {MASTER_NAME} 5000\n"
    )
    processes["sentinel"] = _server("sentinel", [str(config), "--sentinel"], tmp_path / "sentinel")
    try:
        for port in (master, replica, sentinel):
            _until(lambda port=port: _answers(port), f"redis on {port} did not start")  # type: ignore[misc]
        _until(lambda: _in_sync(replica), "the replica did not finish its first sync")
        found = SentinelGroup(master, replica, sentinel, processes)
        _until(lambda: asyncio.run(_replica_known(found)), "the sentinel did not see the replica")
        yield found
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)


async def _replica_known(group: SentinelGroup) -> bool:
    sentinel = Sentinel(sentinel_addresses(group.sentinels), sentinel_kwargs={"password": PASSWORD})
    return len(await sentinel.discover_slaves(MASTER_NAME)) == 1


async def _until_async(attempt: Callable[[], Awaitable[object]]) -> None:
    """Retry `attempt` until it succeeds, for at most 30 s."""
    async with asyncio.timeout(30):
        while True:
            try:
                await attempt()
                return
            except (RedisError, OSError):
                await asyncio.sleep(0.2)


async def test_the_client_follows_the_failover_to_the_promoted_replica_with_its_data(group: SentinelGroup) -> None:
    settings = gateway_settings(
        "postgresql://unused", group.redis_url(), "127.0.0.1:1", "http://127.0.0.1:1",
        REDIS_SENTINELS=group.sentinels, REDIS_SENTINEL_MASTER=MASTER_NAME, REDIS_SENTINEL_PASSWORD=PASSWORD,
    )  # fmt: skip
    client: redis.Redis = connect_redis(settings, client_name="gateway:test")
    try:
        await client.set("otp:attempts", "2")
        # The replica has it before the master dies (within the client's 2 s socket timeout).
        assert await client.execute_command("WAIT", 1, 1500) == 1
        assert await group.master_address() == ("127.0.0.1", group.master_port)

        group.kill_master()
        await _until_async(lambda: client.set("after-failover", "1"))

        assert await group.master_address() == ("127.0.0.1", group.replica_port)
        assert await client.get("otp:attempts") == b"2"
        info = await client.info("replication")
        assert info["role"] == "master"
        assert (await client.client_info())["db"] == 3 and (await client.client_info())["name"] == "gateway:test"
    finally:
        await client.aclose()


async def test_the_gateway_is_ready_again_on_the_promoted_replica(
    group: SentinelGroup, make_client: MakeClient
) -> None:
    gateway = await make_client(
        REDIS_URL=group.redis_url(),
        REDIS_SENTINELS=group.sentinels,
        REDIS_SENTINEL_MASTER=MASTER_NAME,
        REDIS_SENTINEL_PASSWORD=PASSWORD,
    )
    assert (await gateway.get("/ready")).json()["checks"]["redis"] == "ok"

    group.kill_master()

    async def ready() -> None:
        answer = await gateway.get("/ready")
        if answer.json()["checks"]["redis"] != "ok":
            raise ConnectionError(answer.text)

    await _until_async(ready)
    assert await group.master_address() == ("127.0.0.1", group.replica_port)


def test_a_malformed_sentinel_list_stops_the_start_naming_the_entry() -> None:
    with pytest.raises(ValueError, match="'sentinel-a' is not host:port"):
        gateway_settings(
            "postgresql://unused", "redis://:x@h/0", "127.0.0.1:1", "http://127.0.0.1:1",
            REDIS_SENTINELS="sentinel-a,127.0.0.1:26379",
        )  # fmt: skip
