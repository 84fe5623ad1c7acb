"""Gateway configuration: one typed object, read from the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from gateway.verification.destinations import country_codes
from gateway.verification.identity import KnowledgeCheck

# A number a patient is told to call: digits, with spaces or dashes as people write them ("168", "800 11 3040").
_PHONE_TO_CALL = r"^\+?[0-9][0-9 -]{1,18}[0-9]$"


class Settings(BaseSettings):
    """Everything the gateway can be told from outside.

    `DATABASE_URL` and `REDIS_URL` are required by the app itself; `make run`
    fills them with embedded servers when the environment does not.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # production (the default): weak or example secrets stop the start and the API docs are off;
    # development (`make run`, the tests): each weak secret is a warning, the docs are served.
    app_env: Literal["production", "development"] = Field(default="production", validation_alias="APP_ENV")
    # Serve /docs, /redoc and /openapi.json; unset: only in development.
    expose_api_docs: bool | None = Field(default=None, validation_alias="EXPOSE_API_DOCS")

    database_url: str = Field(validation_alias="DATABASE_URL")
    # A read-only replica (CloudNativePG's `-ro` service, a managed read replica) for the console's pages that only
    # read and are polled (the waiting conversations, their count). Unset: they read DATABASE_URL's server.
    # Everything that writes, and every page shown right after a write, reads the primary.
    database_read_url: str | None = Field(default=None, validation_alias="DATABASE_READ_URL")
    redis_url: str = Field(validation_alias="REDIS_URL")
    # Redis Sentinel (`host:port,host:port,...`): the gateway asks them which server is the master named
    # REDIS_SENTINEL_MASTER and follows a failover; REDIS_URL then gives only the password and the database number,
    # its host is not used. REDIS_SENTINEL_PASSWORD: where the sentinels themselves require one (unset: they do
    # not). Unset REDIS_SENTINELS: REDIS_URL's server, directly.
    redis_sentinels: Annotated[tuple[tuple[str, int], ...], NoDecode] = Field(
        default=(), validation_alias="REDIS_SENTINELS"
    )
    redis_sentinel_master: str = Field(default="clinic", min_length=1, validation_alias="REDIS_SENTINEL_MASTER")
    redis_sentinel_password: SecretStr | None = Field(default=None, validation_alias="REDIS_SENTINEL_PASSWORD")
    db_pool_min_size: int = Field(default=1, ge=0, validation_alias="DB_POOL_MIN_SIZE")
    db_pool_max_size: int = Field(default=10, ge=1, validation_alias="DB_POOL_MAX_SIZE")

    inference_target: str = Field(default="127.0.0.1:50051", validation_alias="INFERENCE_TARGET")
    inference_timeout_seconds: float = Field(default=10.0, gt=0, validation_alias="INFERENCE_TIMEOUT_SECONDS")
    reply_max_new_tokens: int = Field(default=48, ge=1, le=256, validation_alias="REPLY_MAX_NEW_TOKENS")
    reply_temperature: float = Field(default=0.8, gt=0, validation_alias="REPLY_TEMPERATURE")
    reply_top_p: float = Field(default=0.9, gt=0, le=1, validation_alias="REPLY_TOP_P")
    # A generated reply whose mean per-token log-probability (the model's own score, from the inference
    # server) is below this is not sent. Measured for the offline model by `make measure-reply-gate`
    # (docs/reply-gate.md); measure again for another MODEL_NAME.
    reply_min_logprob: float = Field(default=-8.57, le=0, validation_alias="REPLY_MIN_LOGPROB")
    # How many stored turns of a conversation are sent to the model.
    history_turns: int = Field(default=8, ge=1, le=64, validation_alias="HISTORY_TURNS")

    # A patient's conversation restarts after this much silence (WhatsApp's service window is 24 h).
    conversation_idle_hours: float = Field(default=24.0, gt=0, validation_alias="CONVERSATION_IDLE_HOURS")
    # WhatsApp sends up to 4096 characters; a longer message is answered with a request to shorten it, not refused.
    max_message_chars: int = Field(default=4096, ge=1, le=4096, validation_alias="MAX_MESSAGE_CHARS")
    max_messages_per_request: int = Field(default=50, ge=1, validation_alias="MAX_MESSAGES_PER_REQUEST")

    clinic_timezone: str = Field(default="America/La_Paz", validation_alias="CLINIC_TIMEZONE")
    # Said in emergency replies ("Llame ahora al 168"); unset: "al número de emergencias".
    emergency_number: str | None = Field(default=None, pattern=_PHONE_TO_CALL, validation_alias="EMERGENCY_NUMBER")
    # A crisis line said, with the emergency number, to a patient who speaks of suicide or self-harm; unset: the
    # reply asks them to call the emergency number and stay with someone they trust.
    crisis_line: str | None = Field(default=None, pattern=_PHONE_TO_CALL, validation_alias="CRISIS_LINE")
    crisis_line_name: str | None = Field(default=None, max_length=60, validation_alias="CRISIS_LINE_NAME")
    # After an emergency, the patient's next messages are answered as part of it (never by the model) for this
    # long, unless they book something or say all is well.
    emergency_follow_up_minutes: int = Field(default=120, ge=1, le=1440, validation_alias="EMERGENCY_FOLLOW_UP_MINUTES")
    # The learned emergency model that reads what the patterns let pass (`make emergency-model` writes one);
    # unset: the one shipped in gateway/conversation/data/.
    emergency_model_path: Path | None = Field(default=None, validation_alias="EMERGENCY_MODEL_PATH")

    # Booking: how soon a slot may start, how far ahead to look, how many slots to offer at once.
    booking_min_notice_minutes: int = Field(default=120, ge=0, validation_alias="BOOKING_MIN_NOTICE_MINUTES")
    slot_search_days: int = Field(default=14, ge=1, le=90, validation_alias="SLOT_SEARCH_DAYS")
    slots_offered: int = Field(default=3, ge=1, le=3, validation_alias="SLOTS_OFFERED")

    # Verification: last 4 digits of the registered phone, then a code by SMS.
    sms_base_url: str | None = Field(default=None, validation_alias="SMS_BASE_URL")
    sms_api_token: SecretStr = Field(default=SecretStr(""), validation_alias="SMS_API_TOKEN")
    sms_timeout_seconds: float = Field(default=10.0, gt=0, validation_alias="SMS_TIMEOUT_SECONDS")
    # Keys the HMACs of codes and phones in Redis; the same on every gateway copy. At least 16 bytes;
    # production refuses anything but 32+ random ones (gateway/security/secrets.py).
    otp_secret: SecretStr | None = Field(default=None, validation_alias="OTP_SECRET")
    otp_code_ttl_seconds: int = Field(default=300, ge=30, validation_alias="OTP_CODE_TTL_SECONDS")
    otp_max_attempts: int = Field(default=5, ge=1, validation_alias="OTP_MAX_ATTEMPTS")
    otp_lockout_seconds: int = Field(default=900, ge=1, validation_alias="OTP_LOCKOUT_SECONDS")
    otp_sends_per_window: int = Field(default=3, ge=1, validation_alias="OTP_SENDS_PER_WINDOW")
    otp_send_window_seconds: int = Field(default=900, ge=1, validation_alias="OTP_SEND_WINDOW_SECONDS")
    otp_sends_per_day: int = Field(default=10, ge=1, validation_alias="OTP_SENDS_PER_DAY")
    # Wrong codes a phone may enter in 24 h; then it is locked until the clinic's midnight (or staff unlock it).
    otp_max_failures_per_day: int = Field(default=10, ge=1, validation_alias="OTP_MAX_FAILURES_PER_DAY")
    # Calling codes (comma-separated) whose mobile numbers may be sent codes and registered; others get a person.
    allowed_country_codes: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset({591}), validation_alias="ALLOWED_COUNTRY_CODES"
    )
    # SMS codes a day (the clinic's local day), per chat API key or WhatsApp number, and in all.
    sms_daily_budget_per_key: int = Field(default=200, ge=1, validation_alias="SMS_DAILY_BUDGET_PER_KEY")
    sms_daily_budget_total: int = Field(default=1000, ge=1, validation_alias="SMS_DAILY_BUDGET_TOTAL")
    # Named in every SMS, so the patient knows who texts; 30 characters keep the SMS in two segments.
    clinic_name: str = Field(
        default="Clínica",
        min_length=1,
        max_length=30,
        pattern=r"^[^\W\d_]+(?:[ .,'&-]+[^\W\d_]+)*\.?$",
        validation_alias="CLINIC_NAME",
    )
    verified_ttl_seconds: float = Field(default=1800, gt=0, validation_alias="VERIFIED_TTL_SECONDS")
    # The question asked before an SMS code; wrong answers before a person takes over, and the lockout.
    # The LAST4_* names are the older names of the two limits, still read.
    knowledge_check: KnowledgeCheck = Field(default=KnowledgeCheck.DATE_OF_BIRTH, validation_alias="KNOWLEDGE_CHECK")
    identity_max_attempts: int = Field(
        default=3, ge=1, validation_alias=AliasChoices("IDENTITY_MAX_ATTEMPTS", "LAST4_MAX_ATTEMPTS")
    )
    identity_lockout_seconds: int = Field(
        default=900, ge=1, validation_alias=AliasChoices("IDENTITY_LOCKOUT_SECONDS", "LAST4_LOCKOUT_SECONDS")
    )
    # Upcoming (booked, not yet started) appointments one patient may hold at a time.
    max_upcoming_appointments: int = Field(default=3, ge=1, le=50, validation_alias="MAX_UPCOMING_APPOINTMENTS")
    # How long a freed slot is held for the waitlisted patient it is offered to; the notification service holds
    # it, the dialog says it (the same WAITLIST_HOLD_MINUTES for both).
    waitlist_hold_minutes: int = Field(default=30, ge=1, le=24 * 60, validation_alias="WAITLIST_HOLD_MINUTES")
    redis_key_prefix: str = Field(default="clinic", min_length=1, validation_alias="REDIS_KEY_PREFIX")

    # Graceful failure: every /chat turn has a deadline; dependencies get retries inside it and breakers.
    request_deadline_seconds: float = Field(default=15.0, gt=0, validation_alias="REQUEST_DEADLINE_SECONDS")
    retry_attempts: int = Field(default=3, ge=1, le=10, validation_alias="RETRY_ATTEMPTS")
    retry_backoff_seconds: float = Field(default=0.2, ge=0, validation_alias="RETRY_BACKOFF_SECONDS")
    breaker_fail_max: int = Field(default=5, ge=1, validation_alias="BREAKER_FAIL_MAX")
    breaker_reset_seconds: float = Field(default=60.0, gt=0, validation_alias="BREAKER_RESET_SECONDS")
    # Postgres is tried again sooner: every turn needs it, and a turn waits for the trial within its deadline, so a
    # restart of a few seconds costs patients a wait instead of a minute of 503s (bench/CHAOS.md).
    postgres_breaker_reset_seconds: float = Field(default=2.0, gt=0, validation_alias="POSTGRES_BREAKER_RESET_SECONDS")
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0, validation_alias="DB_CONNECT_TIMEOUT_SECONDS")
    # A turn's lease on its phone (TurnLeases) lasts this long and is renewed every third of it while the turn runs:
    # a copy that dies mid-turn holds the patient's next message for at most this long.
    turn_lease_seconds: float = Field(default=3.0, ge=0.3, le=60, validation_alias="TURN_LEASE_SECONDS")

    # A chat API key found by its secret is taken as found for this long by that copy (0: looked up on every
    # request); a revoked key is still refused at once, by the turn's first statement (security/admitted_keys.py).
    chat_key_cache_seconds: float = Field(default=60.0, ge=0, le=3600, validation_alias="CHAT_KEY_CACHE_SECONDS")

    # Small-talk replies are cached in Redis by the last messages and the model that wrote them (the inference
    # server names it in every answer).
    reply_cache_ttl_seconds: int = Field(default=3600, ge=0, validation_alias="REPLY_CACHE_TTL_SECONDS")

    # Rate limits (GCRA in Redis, shared by every copy): a sustained rate per minute and a burst.
    rate_limit_user_per_minute: float = Field(default=20, gt=0, validation_alias="RATE_LIMIT_USER_PER_MINUTE")
    rate_limit_user_burst: int = Field(default=10, ge=1, validation_alias="RATE_LIMIT_USER_BURST")
    rate_limit_key_per_minute: float = Field(default=1200, gt=0, validation_alias="RATE_LIMIT_KEY_PER_MINUTE")
    rate_limit_key_burst: int = Field(default=200, ge=1, validation_alias="RATE_LIMIT_KEY_BURST")
    # /staff: per staff key; and refused /staff calls (each one an audit row) per client address.
    rate_limit_staff_per_minute: float = Field(default=120, gt=0, validation_alias="RATE_LIMIT_STAFF_PER_MINUTE")
    rate_limit_staff_burst: int = Field(default=30, ge=1, validation_alias="RATE_LIMIT_STAFF_BURST")
    rate_limit_staff_refused_per_minute: float = Field(
        default=30, gt=0, validation_alias="RATE_LIMIT_STAFF_REFUSED_PER_MINUTE"
    )
    rate_limit_staff_refused_burst: int = Field(default=10, ge=1, validation_alias="RATE_LIMIT_STAFF_REFUSED_BURST")
    # The staff console (/console): people sign in with an e-mail and a password (gateway.cli staff create).
    # A session ends after this many minutes without a request, and after CONSOLE_SESSION_HOURS whatever happens.
    console_idle_minutes: int = Field(default=30, ge=1, le=24 * 60, validation_alias="CONSOLE_IDLE_MINUTES")
    console_session_hours: float = Field(default=12.0, gt=0, le=24 * 7, validation_alias="CONSOLE_SESSION_HOURS")
    # Wrong passwords in a row that lock an account, and for how long.
    console_max_failed_logins: int = Field(default=5, ge=1, le=100, validation_alias="CONSOLE_MAX_FAILED_LOGINS")
    console_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60, validation_alias="CONSOLE_LOCKOUT_MINUTES")
    # Cookies are Secure when the request came over HTTPS (nginx's X-Forwarded-Proto, trusted by uvicorn
    # --proxy-headers); true: always, for a TLS proxy that does not say so.
    console_secure_cookies: bool = Field(default=False, validation_alias="CONSOLE_SECURE_COOKIES")
    # Sign-in attempts per client address (each one costs an argon2 hash).
    rate_limit_console_login_per_minute: float = Field(
        default=10, gt=0, validation_alias="RATE_LIMIT_CONSOLE_LOGIN_PER_MINUTE"
    )
    rate_limit_console_login_burst: int = Field(default=10, ge=1, validation_alias="RATE_LIMIT_CONSOLE_LOGIN_BURST")
    # Where staff open the console (https://clinica.example.bo): the start of the links the handover announcement
    # carries; unset: the links are paths (/console/conversaciones/<id>).
    console_base_url: str | None = Field(
        default=None, pattern=r"^https?://[^/?#]+$", validation_alias="CONSOLE_BASE_URL"
    )
    # A conversation newly waiting for a person (emergency, request for a person, failed verification) is announced
    # here (deploy/n8n/handover.json, which routes it to WhatsApp, Slack or e-mail): a JSON POST with the reason, the
    # time, how many wait and the console link; never a name, phone or message. Unset: nothing is announced.
    n8n_handover_webhook_url: str | None = Field(default=None, validation_alias="N8N_HANDOVER_WEBHOOK_URL")
    # Sent as `Authorization: Bearer`; the workflow compares it with its own HANDOVER_WEBHOOK_TOKEN.
    n8n_handover_token: SecretStr | None = Field(default=None, validation_alias="N8N_HANDOVER_TOKEN")
    n8n_handover_timeout_seconds: float = Field(default=10.0, gt=0, validation_alias="N8N_HANDOVER_TIMEOUT_SECONDS")
    # A failed announcement is retried after 2, 4, 8, … s (at most 5 min), this many times; then it is `failed`.
    n8n_handover_retries: int = Field(default=10, ge=0, le=30, validation_alias="N8N_HANDOVER_RETRIES")
    # Room for a 4096-character message of emoji written as JSON escapes (12 bytes each, 48 KiB) and as much again
    # of earlier messages.
    max_body_bytes: int = Field(default=131072, ge=1024, validation_alias="MAX_BODY_BYTES")

    # WhatsApp Cloud API webhook (POST /webhooks/whatsapp), for clinics that skip n8n. Unset secrets: 503.
    whatsapp_verify_token: SecretStr | None = Field(default=None, validation_alias="WHATSAPP_VERIFY_TOKEN")
    whatsapp_app_secret: SecretStr | None = Field(default=None, validation_alias="WHATSAPP_APP_SECRET")
    whatsapp_access_token: SecretStr | None = Field(default=None, validation_alias="WHATSAPP_ACCESS_TOKEN")
    whatsapp_graph_base_url: str = Field(
        default="https://graph.facebook.com", validation_alias="WHATSAPP_GRAPH_BASE_URL"
    )
    whatsapp_api_version: str = Field(default="v21.0", pattern=r"^v\d+\.\d+$", validation_alias="WHATSAPP_API_VERSION")
    whatsapp_timeout_seconds: float = Field(default=10.0, gt=0, validation_alias="WHATSAPP_TIMEOUT_SECONDS")
    # How long shutdown waits for webhook messages still being answered; the rest are answered by another copy.
    whatsapp_shutdown_grace_seconds: float = Field(
        default=30.0, ge=0, validation_alias="WHATSAPP_SHUTDOWN_GRACE_SECONDS"
    )
    # Answering a message is a durable job (gateway/jobs.py): retried after 2, 4, 8, … s (at most the max) on
    # timeouts, 429 and 5xx of the Graph API or a failed turn, this many times; then the message is `failed`.
    whatsapp_retries: int = Field(default=6, ge=0, le=20, validation_alias="WHATSAPP_RETRIES")
    whatsapp_retry_first_seconds: float = Field(default=2.0, gt=0, validation_alias="WHATSAPP_RETRY_FIRST_SECONDS")
    whatsapp_retry_max_seconds: float = Field(default=120.0, gt=0, validation_alias="WHATSAPP_RETRY_MAX_SECONDS")
    # How long after a POST with no answer (a timeout) its part waits for Meta's status callback before it is
    # posted again (the callback records it sent, so the patient does not get it twice).
    whatsapp_callback_grace_seconds: float = Field(
        default=5.0, ge=0, validation_alias="WHATSAPP_CALLBACK_GRACE_SECONDS"
    )
    # Jobs run by each gateway copy at once; a copy silent (no heartbeat) this long has its jobs taken over.
    job_concurrency: int = Field(default=8, ge=1, le=100, validation_alias="JOB_CONCURRENCY")
    job_lease_seconds: float = Field(default=30.0, ge=0.3, validation_alias="JOB_LEASE_SECONDS")
    # How often (seconds, 1-59) stalled jobs and messages stored but never queued are looked for.
    job_recover_every_seconds: int = Field(default=10, ge=1, le=59, validation_alias="JOB_RECOVER_EVERY_SECONDS")

    # Tracing (OpenTelemetry): none, console (stderr) or otlp (OTEL_EXPORTER_OTLP_ENDPOINT, read by the exporter).
    otel_traces_exporter: Literal["none", "console", "otlp"] = Field(
        default="none", validation_alias="OTEL_TRACES_EXPORTER"
    )
    otel_service_name: str = Field(default="clinic-gateway", validation_alias="OTEL_SERVICE_NAME")
    # Share of requests whose spans are recorded and exported; unset: all in development, 1 in 10 in production.
    # Every request keeps a trace id in its logs either way.
    otel_traces_sampler_ratio: float | None = Field(
        default=None, ge=0, le=1, validation_alias="OTEL_TRACES_SAMPLER_RATIO"
    )

    health_timeout_seconds: float = Field(default=2.0, gt=0, validation_alias="HEALTH_TIMEOUT_SECONDS")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")

    @property
    def traces_sampler_ratio(self) -> float:
        """OTEL_TRACES_SAMPLER_RATIO, or its default for APP_ENV."""
        if self.otel_traces_sampler_ratio is not None:
            return self.otel_traces_sampler_ratio
        return 1.0 if self.app_env == "development" else 0.1

    @field_validator("allowed_country_codes", mode="before")
    @classmethod
    def _calling_codes(cls, value: object) -> object:
        return country_codes(value.split(",")) if isinstance(value, str) else value

    @field_validator("redis_sentinels", mode="before")
    @classmethod
    def _sentinel_addresses(cls, value: object) -> object:
        # Read once, here: a malformed list stops the start, naming the entry.
        return tuple(sentinel_addresses(value)) if isinstance(value, str) and value.strip() else value or ()

    @field_validator("otp_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < 16:
            raise ValueError("OTP_SECRET must be at least 16 bytes")
        return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()


def sentinel_addresses(value: str) -> list[tuple[str, int]]:
    """`host:port,host:port` as (host, port) pairs; ValueError naming a malformed entry."""
    addresses = []
    for entry in (part.strip() for part in value.split(",")):
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"REDIS_SENTINELS: {entry!r} is not host:port")
        addresses.append((host.strip("[]"), int(port)))
    return addresses
