"""The connection every query takes: a plain asyncpg connection or one borrowed from a pool."""

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection = asyncpg.Connection | PoolConnectionProxy
