"""One patient message in, one assistant reply out, both stored, with the dialog's state."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import pydantic
import structlog

from appointments import repository as clinic_repository
from gateway.conversation import replies, repository
from gateway.conversation.dialog import Clinic, Dialog, DialogSettings, Outcome, Turn
from gateway.conversation.nlu import understand
from gateway.conversation.reply_check import check_generated
from gateway.conversation.state import DialogState
from gateway.db import Connection
from gateway.inference_client import GenerationParameters, InferenceClient
from gateway.log import mask_phone
from gateway.schemas import Action, AppointmentOut, ChatResponse
from gateway.settings import Settings
from gateway.verification.otp import OtpService

log = structlog.get_logger(__name__)


def dialog_settings(settings: Settings) -> DialogSettings:
    """The dialog's part of the gateway settings."""
    return DialogSettings(
        tz=ZoneInfo(settings.clinic_timezone),
        min_notice=timedelta(minutes=settings.booking_min_notice_minutes),
        search_days=settings.slot_search_days,
        slots_offered=settings.slots_offered,
        verified_ttl=settings.verified_ttl_seconds,
        last4_attempts=settings.last4_max_attempts,
        last4_lockout=timedelta(seconds=settings.last4_lockout_seconds),
        code_minutes=max(1, settings.otp_code_ttl_seconds // 60),
        emergency_number=settings.emergency_number,
    )


class ChatService:
    """Stores the inbound message, runs the dialog and stores the answer.

    Transactional turns (booking, verification, emergencies) are answered from templates inside one
    transaction that also saves the dialog state; small talk is answered by the model, and what it
    writes is checked before it is sent.
    """

    def __init__(self, pool: asyncpg.Pool, inference: InferenceClient, otp: OtpService, settings: Settings) -> None:
        self._pool = pool
        self._inference = inference
        self._otp = otp
        self._settings = settings
        self._dialog_settings = dialog_settings(settings)
        self._zone = self._dialog_settings.tz

    async def reply(self, *, user_phone: str, text: str, request_id: str, channel: str = "api") -> ChatResponse:
        # The inbound message is committed before anything else, so it is kept even
        # when a dependency fails and the caller gets a 503.
        conversation_id = await self._store_inbound(user_phone, text, request_id, channel)
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                clinic = await Clinic.load(conn)
                state = await self._load_state(conn, conversation_id)
                now = datetime.now(self._zone)
                understood = understand(text, now=now, tz=self._zone, doctors=[d.full_name for d in clinic.doctors])
                dialog = Dialog(conn, otp=self._otp, clinic=clinic, settings=self._dialog_settings)
                outcome = await dialog.respond(state, Turn(phone=user_phone, text=text, understood=understood, now=now))
                await repository.save_dialog_state(
                    conn, conversation_id=conversation_id, state=outcome.state.model_dump(mode="json")
                )
                if outcome.flag is not None:
                    await repository.flag_for_human(conn, conversation_id=conversation_id, reason=outcome.flag)
                    log.warning("conversation_flagged", phone=mask_phone(user_phone), reason=outcome.flag)
                if outcome.text is not None:
                    await self._store_reply(
                        conn, conversation_id, user_phone, outcome.text, outcome.action, request_id, {}
                    )
            patient = await clinic_repository.patient_by_phone(conn, phone=user_phone)
        answer = outcome.text
        if answer is None:
            # Names the model may write: the clinic's doctors and the patient's own.
            names = [d.full_name for d in clinic.doctors] + ([patient.full_name] if patient else [])
            answer = await self._model_reply(conversation_id, user_phone, request_id, names)
        log.info(
            "chat_replied",
            phone=mask_phone(user_phone),
            conversation_id=str(conversation_id),
            action=outcome.action.value,
            flow=outcome.state.flow,
            step=outcome.state.step,
        )
        return ChatResponse(
            response=answer,
            action=outcome.action,
            conversation_id=str(conversation_id),
            request_id=request_id,
            verified=await self._otp.is_verified(user_phone),
            appointment=self._appointment_out(outcome, clinic.specialties),
            options=list(outcome.options),
        )

    async def _load_state(self, conn: Connection, conversation_id: UUID) -> DialogState:
        stored = await repository.lock_dialog_state(conn, conversation_id=conversation_id)
        try:
            return DialogState.model_validate(stored)
        except pydantic.ValidationError:
            # A state written by an older release that no longer parses: start the dialog afresh.
            log.warning("dialog_state_discarded", conversation_id=str(conversation_id))
            return DialogState()

    def _appointment_out(self, outcome: Outcome, specialties: dict[str, str]) -> AppointmentOut | None:
        appointment = outcome.appointment
        if appointment is None:
            return None
        return AppointmentOut(
            id=appointment.id,
            doctor=appointment.doctor_name,
            specialty=specialties.get(appointment.specialty_code, appointment.specialty_code),
            start=appointment.starts_at.astimezone(self._zone),
            end=appointment.ends_at.astimezone(self._zone),
            status=appointment.status.value,
        )

    async def _model_reply(
        self, conversation_id: UUID, user_phone: str, request_id: str, allowed_names: list[str]
    ) -> str:
        async with self._pool.acquire() as conn:
            history = await repository.recent_messages(
                conn, conversation_id=conversation_id, limit=self._settings.history_turns
            )
        generated = await self._inference.generate(
            [(m.role, m.content) for m in history],
            GenerationParameters(
                max_new_tokens=self._settings.reply_max_new_tokens,
                temperature=self._settings.reply_temperature,
                top_p=self._settings.reply_top_p,
            ),
            request_id=request_id,
        )
        verdict = check_generated(generated.text, allowed_names=allowed_names)
        answer = generated.text.strip() if verdict.ok else replies.SAFE_FALLBACK
        meta: dict[str, object] = {
            "source": "model" if verdict.ok else "template",
            "prompt_tokens": generated.prompt_tokens,
            "completion_tokens": generated.completion_tokens,
            "finish_reason": generated.finish_reason,
            "inference_seconds": round(generated.server_seconds, 4),
            "batch_size": generated.batch_size,
        }
        if not verdict.ok:
            meta["rejected"] = verdict.reason
            log.info("generated_reply_rejected", reason=verdict.reason, conversation_id=str(conversation_id))
        async with self._pool.acquire() as conn:
            await self._store_reply(conn, conversation_id, user_phone, answer, Action.NONE, request_id, meta)
        return answer

    @staticmethod
    async def _store_reply(
        conn: Connection,
        conversation_id: UUID,
        user_phone: str,
        answer: str,
        action: Action,
        request_id: str,
        meta: dict[str, object],
    ) -> None:
        await repository.add_message(
            conn,
            conversation_id=conversation_id,
            user_phone=user_phone,
            role="assistant",
            content=answer,
            request_id=request_id,
            action=action.value,
            meta={"source": "template", **meta},
        )

    async def _store_inbound(self, user_phone: str, text: str, request_id: str, channel: str) -> UUID:
        async with self._pool.acquire() as conn:
            conversation_id = await repository.open_conversation(
                conn,
                user_phone=user_phone,
                idle_after=timedelta(hours=self._settings.conversation_idle_hours),
                channel=channel,
            )
            await repository.add_message(
                conn,
                conversation_id=conversation_id,
                user_phone=user_phone,
                role="user",
                content=text,
                request_id=request_id,
            )
        return conversation_id
