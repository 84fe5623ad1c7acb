"""An inference server that answers at once, for benchmarks that measure the gateway and not the model.

The tests' fake (tests/support/fake_inference.py), as the chaos drill borrows the tests' fake Graph API and SMS
gateway: a real gRPC server on 127.0.0.1, reached by the gateway exactly as it reaches the model, whose reply is a
fixed Spanish sentence with a fluent score (the reply gate lets it through, so a small-talk turn goes the whole way).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.fake_inference import FakeInference as StandIn
from tests.support.fake_inference import fake_inference_server

__all__ = ["MODEL_ID", "REPLY", "StandIn", "stand_in_inference"]

REPLY = "Me alegra mucho saberlo, gracias por contarme."
MODEL_ID = "bench/stand-in"


@contextmanager
def stand_in_inference(*, workers: int = 8) -> Iterator[StandIn]:
    """Serve the fixed reply on a free loopback port for the duration of the block."""
    with fake_inference_server(lambda turns: REPLY, workers=workers, model_id=MODEL_ID) as server:
        yield server
