"""The gateway fixtures (real Postgres, Redis, gRPC inference and a fake SMS provider) for the attack tests."""

from tests.gateway.conftest import api_key, client, dead_target, make_client, sms

__all__ = ["api_key", "client", "dead_target", "make_client", "sms"]
