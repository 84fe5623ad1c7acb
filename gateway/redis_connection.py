"""The gateway's Redis client: REDIS_URL's server directly, or through Redis Sentinel to whichever server is
the master now.

Through Sentinel, redis-py asks the sentinels for the master's address whenever it opens a connection, and drops
a connection that finds its server demoted (READONLY) or gone, so after a failover the next command reaches the
new master; the commands that were in flight fail as any Redis outage does (ARCHITECTURE.md, "Where state lives").
"""

import redis.asyncio as redis
from redis.asyncio.connection import parse_url
from redis.asyncio.sentinel import Sentinel

from gateway.settings import Settings


def connect_redis(settings: Settings, *, client_name: str) -> redis.Redis:
    """A client for the gateway's Redis (nothing is connected until the first command)."""
    timeout = settings.health_timeout_seconds
    if not settings.redis_sentinels:
        return redis.Redis.from_url(settings.redis_url, socket_timeout=timeout, client_name=client_name)
    # REDIS_URL read as `from_url` reads it (the same parser), its address left to the sentinels.
    url = parse_url(settings.redis_url)
    sentinels = Sentinel(
        settings.redis_sentinels,
        socket_timeout=timeout,
        sentinel_kwargs={
            "password": settings.redis_sentinel_password.get_secret_value()
            if settings.redis_sentinel_password
            else None,
            "socket_timeout": timeout,
        },
    )
    client: redis.Redis = sentinels.master_for(
        settings.redis_sentinel_master,
        redis_class=redis.Redis,
        username=url.get("username"),
        password=url.get("password"),
        db=url.get("db", 0),
        socket_timeout=timeout,
        client_name=client_name,
    )
    return client
