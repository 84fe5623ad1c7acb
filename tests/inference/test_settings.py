"""InferenceSettings come from the environment under their documented names."""

from __future__ import annotations

import pydantic
import pytest

from inference.settings import InferenceSettings

NAMES = (
    "MODEL_NAME",
    "DEVICE",
    "INFERENCE_HOST",
    "INFERENCE_PORT",
    "INFERENCE_MAX_BATCH_SIZE",
    "INFERENCE_MAX_QUEUE",
    "INFERENCE_MAX_TOKENS_IN_FLIGHT",
    "INFERENCE_MAX_PREFILL_TOKENS",
    "INFERENCE_METRICS_PORT",
    "INFERENCE_DEFAULT_MAX_NEW_TOKENS",
    "INFERENCE_MAX_NEW_TOKENS_LIMIT",
    "INFERENCE_LOG_LEVEL",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    settings = InferenceSettings()

    assert settings.model_name == "models/dialogpt-clinic-es"
    assert settings.device == "auto"
    assert (settings.host, settings.port) == ("127.0.0.1", 50051)
    assert (settings.max_batch_size, settings.max_queue, settings.max_prefill_tokens) == (32, 256, 256)
    assert settings.max_tokens_in_flight is None
    assert settings.metrics_port == 9464
    assert (settings.default_max_new_tokens, settings.max_new_tokens_limit) == (48, 256)


def test_model_and_device_are_unprefixed_and_the_rest_use_inference_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL_NAME", "microsoft/DialoGPT-small")
    monkeypatch.setenv("DEVICE", "cpu")
    monkeypatch.setenv("INFERENCE_PORT", "0")
    monkeypatch.setenv("INFERENCE_MAX_BATCH_SIZE", "16")
    monkeypatch.setenv("INFERENCE_LOG_LEVEL", "debug")
    monkeypatch.setenv("INFERENCE_MAX_QUEUE", "4")
    monkeypatch.setenv("INFERENCE_METRICS_PORT", "")

    settings = InferenceSettings()

    assert settings.model_name == "microsoft/DialoGPT-small"
    assert settings.device == "cpu"
    assert settings.port == 0
    assert settings.max_batch_size == 16
    assert settings.log_level == "DEBUG"
    assert settings.max_queue == 4
    assert settings.metrics_port is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEVICE", "tpu"),
        ("INFERENCE_PORT", "70000"),
        ("INFERENCE_MAX_BATCH_SIZE", "0"),
        ("INFERENCE_MAX_QUEUE", "-1"),
        ("INFERENCE_MAX_PREFILL_TOKENS", "0"),
        ("INFERENCE_DEFAULT_MAX_NEW_TOKENS", "300"),  # over the default limit of 256
    ],
)
def test_unsafe_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(pydantic.ValidationError):
        InferenceSettings()
