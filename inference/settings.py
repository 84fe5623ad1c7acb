"""Settings of the inference service, read from the environment."""

from typing import Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DeviceChoice = Literal["auto", "cpu", "cuda"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class InferenceSettings(BaseSettings):
    """Every knob of `python -m inference`; each field names its environment variable."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    model_name: str = Field(
        default="models/dialogpt-clinic-es",
        validation_alias="MODEL_NAME",
        description="Local checkpoint directory or hub id, passed as-is to from_pretrained.",
    )
    device: DeviceChoice = Field(default="auto", validation_alias="DEVICE")
    host: str = Field(default="127.0.0.1", validation_alias="INFERENCE_HOST")
    port: int = Field(default=50051, ge=0, le=65535, validation_alias="INFERENCE_PORT")
    max_batch_size: int = Field(
        default=32, ge=1, validation_alias="INFERENCE_MAX_BATCH_SIZE", description="Rows decoded together."
    )
    max_queue: int = Field(
        default=256,
        ge=0,
        validation_alias="INFERENCE_MAX_QUEUE",
        description="Requests waiting for a slot; past it, RESOURCE_EXHAUSTED at once.",
    )
    max_tokens_in_flight: int | None = Field(
        default=None,
        ge=1,
        validation_alias="INFERENCE_MAX_TOKENS_IN_FLIGHT",
        description="Prompt + max new tokens summed over the running batch; unset: batch size × context.",
    )
    max_prefill_tokens: int = Field(
        default=256,
        ge=1,
        validation_alias="INFERENCE_MAX_PREFILL_TOKENS",
        description=(
            "Prompt tokens prefilled between two decode steps (up to 4x while the queue is longer than the "
            "batch) and packed into one forward pass at most; long prompts go in by chunks: "
            "newcomers' TTFT vs. the pace of the running batch."
        ),
    )
    short_request_tokens: int = Field(
        default=8,
        ge=0,
        validation_alias="INFERENCE_SHORT_REQUEST_TOKENS",
        description=(
            "Requests of at most this many new tokens are prefilled before any other and decode without pauses "
            "(other prompts wait meanwhile: the larger, the more often)."
        ),
    )
    max_queue_age_ms: float = Field(
        default=2000,
        ge=0,
        validation_alias="INFERENCE_MAX_QUEUE_AGE_MS",
        description="After this long in the queue a request is served first-come, not shortest-first.",
    )
    kv_capacity: int | None = Field(
        default=None,
        ge=2,
        validation_alias="INFERENCE_KV_CAPACITY",
        description="Columns per slot of the KV buffer; unset (and at least): the model's context.",
    )
    metrics_port: int | None = Field(
        default=9464,
        ge=0,
        le=65535,
        validation_alias="INFERENCE_METRICS_PORT",
        description="Prometheus metrics on their own port (0 picks one); empty or `off` disables them.",
    )
    default_max_new_tokens: int = Field(default=48, ge=1, validation_alias="INFERENCE_DEFAULT_MAX_NEW_TOKENS")
    max_new_tokens_limit: int = Field(default=256, ge=1, validation_alias="INFERENCE_MAX_NEW_TOKENS_LIMIT")
    default_temperature: float = Field(default=0.8, gt=0, validation_alias="INFERENCE_DEFAULT_TEMPERATURE")
    default_top_p: float = Field(default=0.9, gt=0, le=1, validation_alias="INFERENCE_DEFAULT_TOP_P")
    max_turns: int = Field(default=64, ge=1, validation_alias="INFERENCE_MAX_TURNS")
    max_turn_chars: int = Field(default=4000, ge=1, validation_alias="INFERENCE_MAX_TURN_CHARS")
    shutdown_grace_s: float = Field(default=5.0, ge=0, validation_alias="INFERENCE_SHUTDOWN_GRACE_S")
    cpu_prepack: bool = Field(
        default=True,
        validation_alias="INFERENCE_CPU_PREPACK",
        description="On a CPU, run the linear layers as oneDNN matmuls with weights packed at load (faster).",
    )
    torch_threads: int | None = Field(
        default=None,
        ge=1,
        validation_alias="INFERENCE_TORCH_THREADS",
        description="Intra-op CPU threads for torch; unset keeps torch's default (one per core).",
    )
    log_level: LogLevel = Field(default="INFO", validation_alias="INFERENCE_LOG_LEVEL")

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _metrics_off(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() in {"", "off", "none"} else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _default_within_limit(self) -> Self:
        if self.default_max_new_tokens > self.max_new_tokens_limit:
            raise ValueError("INFERENCE_DEFAULT_MAX_NEW_TOKENS must not exceed INFERENCE_MAX_NEW_TOKENS_LIMIT")
        return self
