"""The notification service's configuration: one typed object, read from the environment.

The database, clinic zone, WhatsApp and job-queue settings have the gateway's names, so one environment serves both.
"""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from notifications.planning import QuietHours


class NotificationSettings(BaseSettings):
    """Everything the notification service can be told from outside."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(validation_alias="DATABASE_URL")
    clinic_timezone: str = Field(default="America/La_Paz", validation_alias="CLINIC_TIMEZONE")

    # Hours before an appointment that a reminder goes out ("24", or a list: "24,2").
    reminder_hours_before: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(24,), validation_alias="REMINDER_HOURS_BEFORE"
    )
    # Clinic-time hours when nothing is sent ("21:00-08:00"; empty: none).
    quiet_hours: Annotated[QuietHours | None, NoDecode] = Field(
        default=QuietHours.parse("21:00-08:00"), validation_alias="QUIET_HOURS"
    )
    # The approved WhatsApp template (body `template.REMINDER_TEXT`: {{1}} the reader's first name, {{2}} whose
    # appointment, {{3}} doctor, {{4}} specialty, {{5}} day and time); quick-reply buttons Confirmar / Cambiar /
    # Cancelar.
    reminder_template_name: str = Field(
        default="recordatorio_cita", pattern=r"^[a-z0-9_]{1,512}$", validation_alias="REMINDER_TEMPLATE_NAME"
    )
    reminder_template_language: str = Field(
        default="es", pattern=r"^[a-z]{2}(_[A-Z]{2})?$", validation_alias="REMINDER_TEMPLATE_LANGUAGE"
    )

    # A freed slot is held this long for the waitlisted patient it is offered to, then passes to the next in line.
    waitlist_hold_minutes: int = Field(default=30, ge=1, le=24 * 60, validation_alias="WAITLIST_HOLD_MINUTES")
    # The gateway's earliest bookable slot: a freed slot is offered only while a "sí" at the end of its hold can
    # still book it.
    booking_min_notice_minutes: int = Field(default=120, ge=0, validation_alias="BOOKING_MIN_NOTICE_MINUTES")
    # The approved waitlist offer template (body `template.OFFER_TEXT`: {{1}} the reader's first name, {{2}} whom
    # for, {{3}} doctor, {{4}} specialty, {{5}} day and time, {{6}} minutes held); quick-reply buttons "Sí, la
    # quiero" / "No, gracias".
    waitlist_template_name: str = Field(
        default="oferta_lista_espera", pattern=r"^[a-z0-9_]{1,512}$", validation_alias="WAITLIST_TEMPLATE_NAME"
    )

    # What staff write from the console when the patient's 24-hour window has closed: the approved template (body
    # `template.STAFF_REPLY_TEXT`: {{1}} the reply), and the notice of a cancellation by staff (body
    # `template.CANCELLATION_TEXT`: {{1}} the reader's first name, {{2}} whose appointment, {{3}} doctor, {{4}} day
    # and time, {{5}} the reason). Both in REMINDER_TEMPLATE_LANGUAGE.
    staff_reply_template_name: str = Field(
        default="respuesta_equipo", pattern=r"^[a-z0-9_]{1,512}$", validation_alias="STAFF_REPLY_TEMPLATE_NAME"
    )
    staff_cancellation_template_name: str = Field(
        default="cita_cancelada_clinica",
        pattern=r"^[a-z0-9_]{1,512}$",
        validation_alias="STAFF_CANCELLATION_TEMPLATE_NAME",
    )

    # How messages leave: the WhatsApp Cloud API directly, or an n8n webhook that sends them.
    notifications_sender: Literal["whatsapp", "n8n"] = Field(
        default="whatsapp", validation_alias="NOTIFICATIONS_SENDER"
    )
    whatsapp_access_token: SecretStr | None = Field(default=None, validation_alias="WHATSAPP_ACCESS_TOKEN")
    whatsapp_graph_base_url: str = Field(
        default="https://graph.facebook.com", validation_alias="WHATSAPP_GRAPH_BASE_URL"
    )
    whatsapp_api_version: str = Field(default="v21.0", pattern=r"^v\d+\.\d+$", validation_alias="WHATSAPP_API_VERSION")
    # The business number the reminders come from (the gateway answers from the number a message came to).
    whatsapp_phone_number_id: str | None = Field(
        default=None, pattern=r"^[0-9]{1,32}$", validation_alias="WHATSAPP_PHONE_NUMBER_ID"
    )
    whatsapp_timeout_seconds: float = Field(default=10.0, gt=0, validation_alias="WHATSAPP_TIMEOUT_SECONDS")
    # How long past its post's timeout a reminder stays claimed, waiting for Meta's status callback (which the
    # gateway's webhook records) before a copy may post it again.
    whatsapp_callback_grace_seconds: float = Field(
        default=5.0, ge=0, validation_alias="WHATSAPP_CALLBACK_GRACE_SECONDS"
    )
    n8n_notifications_webhook_url: str | None = Field(default=None, validation_alias="N8N_NOTIFICATIONS_WEBHOOK_URL")
    # Sent as a bearer token: n8n's webhooks are public (nginx routes /webhook/), and the workflow sends nothing
    # without it (deploy/n8n/notifications.json compares it with its own NOTIFICATIONS_WEBHOOK_TOKEN).
    n8n_notifications_token: SecretStr | None = Field(default=None, validation_alias="N8N_NOTIFICATIONS_TOKEN")

    # A failed send is retried after first, twice that, … (at most max) seconds, this many times; then `failed`.
    notifications_retries: int = Field(default=5, ge=0, le=20, validation_alias="NOTIFICATIONS_RETRIES")
    notifications_retry_first_seconds: float = Field(
        default=30.0, gt=0, validation_alias="NOTIFICATIONS_RETRY_FIRST_SECONDS"
    )
    notifications_retry_max_seconds: float = Field(
        default=600.0, gt=0, validation_alias="NOTIFICATIONS_RETRY_MAX_SECONDS"
    )
    # How often (seconds, 1-59) reminders are planned, dropped and queued.
    notifications_tick_seconds: int = Field(default=10, ge=1, le=59, validation_alias="NOTIFICATIONS_TICK_SECONDS")
    # /health and /metrics.
    notifications_host: str = Field(default="0.0.0.0", validation_alias="NOTIFICATIONS_HOST")
    notifications_port: int = Field(default=9102, ge=0, le=65535, validation_alias="NOTIFICATIONS_PORT")

    # The job queue, as the gateway's (gateway/jobs.py).
    job_concurrency: int = Field(default=8, ge=1, le=100, validation_alias="JOB_CONCURRENCY")
    job_lease_seconds: float = Field(default=30.0, ge=0.3, validation_alias="JOB_LEASE_SECONDS")
    job_recover_every_seconds: int = Field(default=10, ge=1, le=59, validation_alias="JOB_RECOVER_EVERY_SECONDS")
    shutdown_grace_seconds: float = Field(default=30.0, ge=0, validation_alias="NOTIFICATIONS_SHUTDOWN_GRACE_SECONDS")

    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")

    @field_validator("reminder_hours_before", mode="before")
    @classmethod
    def _hours(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            hours = tuple(sorted({int(h) for h in value}, reverse=True))
            if not hours or any(h < 1 or h > 24 * 14 for h in hours):
                raise ValueError("REMINDER_HOURS_BEFORE: whole hours between 1 and 336, e.g. 24 or 24,2")
            return hours
        return value

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _quiet(cls, value: object) -> object:
        return QuietHours.parse(value) if isinstance(value, str) else value

    @field_validator("clinic_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

    @model_validator(mode="after")
    def _sender_configured(self) -> NotificationSettings:
        if self.notifications_sender == "whatsapp":
            if self.whatsapp_access_token is None or not self.whatsapp_phone_number_id:
                raise ValueError(
                    "NOTIFICATIONS_SENDER=whatsapp needs WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID"
                )
        elif not self.n8n_notifications_webhook_url:
            raise ValueError("NOTIFICATIONS_SENDER=n8n needs N8N_NOTIFICATIONS_WEBHOOK_URL")
        elif self.n8n_notifications_token is None or len(self.n8n_notifications_token.get_secret_value()) < 16:
            raise ValueError("NOTIFICATIONS_SENDER=n8n needs N8N_NOTIFICATIONS_TOKEN, 16 characters or more")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.clinic_timezone)
