"""Gateway configuration: one typed object, read from the environment."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the gateway can be told from outside.

    `DATABASE_URL` and `REDIS_URL` are required by the app itself; `make run`
    fills them with embedded servers when the environment does not.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(validation_alias="DATABASE_URL")
    redis_url: str = Field(validation_alias="REDIS_URL")
    db_pool_min_size: int = Field(default=1, ge=0, validation_alias="DB_POOL_MIN_SIZE")
    db_pool_max_size: int = Field(default=10, ge=1, validation_alias="DB_POOL_MAX_SIZE")

    inference_target: str = Field(default="127.0.0.1:50051", validation_alias="INFERENCE_TARGET")
    inference_timeout_seconds: float = Field(default=10.0, gt=0, validation_alias="INFERENCE_TIMEOUT_SECONDS")
    reply_max_new_tokens: int = Field(default=48, ge=1, le=256, validation_alias="REPLY_MAX_NEW_TOKENS")
    reply_temperature: float = Field(default=0.8, gt=0, validation_alias="REPLY_TEMPERATURE")
    reply_top_p: float = Field(default=0.9, gt=0, le=1, validation_alias="REPLY_TOP_P")
    # How many stored turns of a conversation are sent to the model.
    history_turns: int = Field(default=8, ge=1, le=64, validation_alias="HISTORY_TURNS")

    # A patient's conversation restarts after this much silence (WhatsApp's service window is 24 h).
    conversation_idle_hours: float = Field(default=24.0, gt=0, validation_alias="CONVERSATION_IDLE_HOURS")
    max_message_chars: int = Field(default=2000, ge=1, validation_alias="MAX_MESSAGE_CHARS")
    max_messages_per_request: int = Field(default=50, ge=1, validation_alias="MAX_MESSAGES_PER_REQUEST")

    clinic_timezone: str = Field(default="America/La_Paz", validation_alias="CLINIC_TIMEZONE")
    # Said in emergency replies ("Llame ahora al 118"); unset: "al número de emergencias".
    emergency_number: str | None = Field(default=None, validation_alias="EMERGENCY_NUMBER")

    health_timeout_seconds: float = Field(default=2.0, gt=0, validation_alias="HEALTH_TIMEOUT_SECONDS")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
