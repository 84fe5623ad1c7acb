"""One patient message in, one assistant reply out, both stored, with the dialog's state."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import asyncpg
import pydantic
import structlog
from redis.exceptions import RedisError

from appointments import clinic_info
from appointments import repository as clinic_repository
from gateway.clock import Clock, system_clock
from gateway.conversation import clinic_answers, replies, repository
from gateway.conversation.clinic_cache import ClinicCache
from gateway.conversation.dialog import TO_A_PERSON, Clinic, Dialog, DialogSettings, Outcome, Turn
from gateway.conversation.flows.common import Courtesy
from gateway.conversation.model_reply import ModelReplies, Prompt
from gateway.conversation.redaction import stored_forms
from gateway.conversation.reply import (
    Action,
    AppointmentSummary,
    Option,
    Reply,
    appointment_kept,
    options_kept,
    reply_extras,
)
from gateway.conversation.reply_cache import ReplyCache
from gateway.conversation.state import DialogState
from gateway.conversation.storing import LazyTransaction, TurnConnections, next_in_turn, store_reply
from gateway.conversation.turn_lease import Lease, LeaseBusy, TurnInterrupted, TurnLeases
from gateway.db import Connection
from gateway.errors import Unauthorized
from gateway.inference_client import InferenceClient
from gateway.log import mask_phone
from gateway.metrics import GatewayMetrics
from gateway.resilience import Guards
from gateway.settings import Settings
from gateway.understanding.emergency_model import EmergencyModel
from gateway.understanding.nlu import understand
from gateway.understanding.small_talk import SmallTalk
from gateway.verification.otp import OtpService, Standing
from gateway.verification.vouching import VouchedBy

log = structlog.get_logger(__name__)


def dialog_settings(settings: Settings) -> DialogSettings:
    """The dialog's part of the gateway settings."""
    return DialogSettings(
        tz=ZoneInfo(settings.clinic_timezone),
        min_notice=timedelta(minutes=settings.booking_min_notice_minutes),
        search_days=settings.slot_search_days,
        slots_offered=settings.slots_offered,
        verified_ttl=settings.verified_ttl_seconds,
        knowledge_check=settings.knowledge_check,
        identity_attempts=settings.identity_max_attempts,
        identity_lockout=timedelta(seconds=settings.identity_lockout_seconds),
        max_upcoming=settings.max_upcoming_appointments,
        code_minutes=max(1, settings.otp_code_ttl_seconds // 60),
        emergency_number=settings.emergency_number,
        crisis_line=settings.crisis_line,
        crisis_line_name=settings.crisis_line_name,
        emergency_lasts=timedelta(minutes=settings.emergency_follow_up_minutes),
        waitlist_hold_minutes=settings.waitlist_hold_minutes,
    )


class ChatService:
    """Stores the inbound message, runs the dialog and stores the answer.

    A patient's messages take turns: each holds the phone's lease (TurnLeases) for its whole turn, so a second
    message (on any gateway copy) waits until the first is answered. A turn holds a pooled connection only while it
    reads and writes, never while the model writes: waiting patients do not queue behind the pool. Transactional turns
    (booking, verification, emergencies) are answered from templates inside one transaction that also
    saves the dialog state; small talk is answered by the model (or the reply cache), and what it writes
    is checked before it is sent. With the model down, a template answers within the deadline.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        inference: InferenceClient,
        otp: OtpService,
        settings: Settings,
        *,
        guards: Guards,
        cache: ReplyCache,
        metrics: GatewayMetrics,
        emergency_model: EmergencyModel | None = None,
        clock: Clock = system_clock,
        clinics: ClinicCache | None = None,
    ) -> None:
        self._otp = otp
        self._clinics = clinics or ClinicCache()
        self._settings = settings
        self._metrics = metrics
        self._emergency_model = emergency_model
        self._clock = clock
        self._dialog_settings = dialog_settings(settings)
        self._zone = self._dialog_settings.tz
        self._leases = TurnLeases(pool, guard=guards.postgres, lease_seconds=settings.turn_lease_seconds)
        self._connections = TurnConnections(
            pool,
            guard=guards.postgres,
            retry_attempts=settings.retry_attempts,
            retry_backoff=settings.retry_backoff_seconds,
        )
        self._model = ModelReplies(
            inference,
            settings,
            connections=self._connections,
            guard=guards.inference,
            cache=cache,
            metrics=metrics,
            zone=self._zone,
            clock=clock,
        )

    def _now(self) -> datetime:
        """The clinic's local time now."""
        return self._clock().astimezone(self._zone)

    async def reply(
        self,
        *,
        user_phone: str,
        text: str,
        request_id: str,
        vouched_by: VouchedBy,
        channel: str = "api",
        message_key: str | None = None,
        api_key_id: int | None = None,
    ) -> Reply:
        """Answer `text` from `user_phone`, whose sender `vouched_by` authenticated.

        `message_key` is the delivery's id, unique among all callers (`api_message_key`, `whatsapp_message_key`):
        a message stored under it before, by a delivery that crashed, is not stored again but continued from, and
        answered with its stored reply when it has one. A Postgres connection that breaks mid-turn is discarded
        and the turn taken up again on another from its last committed step, within the deadline; past it (or
        after RETRY_ATTEMPTS), DatabaseUnavailable: 503, retry. `api_key_id`: the key that admitted the caller,
        checked again as the turn starts (it may have been admitted from a cache); revoked since: Unauthorized.
        """
        deadline = time.monotonic() + self._settings.request_deadline_seconds
        # A delivery without an id gets one for this call, so that taking the turn up again never stores it twice.
        inbound_key = message_key or f"turn:{uuid4().hex}"

        async def turn(lease: Lease) -> Reply:
            return await self._connections.retrying(
                lambda: self._reply_once(
                    user_phone, text, request_id, vouched_by, channel, inbound_key, deadline, api_key_id, lease
                ),
                deadline,
            )

        return await self._leases.take_turns(user_phone, deadline=deadline, turn=turn)

    async def _reply_once(
        self,
        user_phone: str,
        text: str,
        request_id: str,
        vouched_by: VouchedBy,
        channel: str,
        inbound_key: str,
        deadline: float,
        api_key_id: int | None,
        lease: Lease,
    ) -> Reply:
        """One try at the turn, from the last step a previous try committed: on one connection up to the model,
        which writes with none held, and on another to store what it wrote."""
        prompt: Prompt | None = None
        async with self._connections.connection(deadline) as conn:
            # The inbound message is committed before anything else, so it is kept even
            # when a later step fails and the caller gets a 503.
            asked = time.monotonic()
            try:
                start = await repository.begin_turn(
                    conn,
                    api_key_id=api_key_id,
                    user_phone=user_phone,
                    vouched_by=vouched_by,
                    channel=channel,
                    idle_after=timedelta(hours=self._settings.conversation_idle_hours),
                    inbound_key=inbound_key,
                    request_id=request_id,
                    # Over the limit, only what fits is kept: the rest is not read, so it is not stored either.
                    # Answers to verification questions (codes, date of birth, carnet) are not kept, nor shown to
                    # the model.
                    contents=stored_forms(text[: self._settings.max_message_chars]),
                    cleared_by=_CLEARS_HANDOFF,
                    lease=(lease.key, lease.holder, self._settings.turn_lease_seconds),
                )
            except repository.KeyRevoked:
                raise Unauthorized("invalid or revoked API key") from None
            if start is None:
                raise LeaseBusy()
            lease.taken(asked)
            inbound = start.inbound
            conversation_id = inbound.conversation_id
            if start.reply is not None:
                log.info("chat_inbound_found_stored", conversation_id=str(conversation_id))
                return await self._stored_answer(conversation_id, start.reply, request_id, user_phone, vouched_by)
            clinic = await self._clinics.current(conn, start.clinic_version)
            # Whether the patient is verified, when the turn read it after the dialog ran (None: not read).
            verified: bool | None = None
            try:
                if len(text) > self._settings.max_message_chars:
                    outcome = await self._too_long(conn, inbound, user_phone, request_id)
                else:
                    outcome, verified = await self._dialog_turn(
                        conn, start, clinic, user_phone, text, request_id, vouched_by, lease
                    )
            except RedisError as exc:
                # Verification lives in Redis: without it, say so and keep the dialog where it was.
                log.warning("verification_unavailable", error=type(exc).__name__)
                outcome = Outcome(DialogState(), replies.VERIFICATION_UNAVAILABLE)
                await store_reply(conn, inbound, user_phone, outcome.text or "", Action.NONE, request_id, {})
            answer = outcome.text
            if answer is None and outcome.small_talk is not None:
                answer, options = await self._small_talk_reply(
                    conn, inbound, user_phone, outcome.small_talk, request_id
                )
                outcome = replace(outcome, options=options)
            if answer is None:
                # Names the model may write: the clinic's doctors and the patient's own.
                patient = await clinic_repository.patient_by_phone(conn, phone=user_phone)
                names = [d.full_name for d in clinic.doctors] + ([patient.full_name] if patient else [])
                answer, prompt = await self._model.cached_or_prompt(conn, inbound, user_phone, text, request_id, names)
        if prompt is not None:
            # The connection is back in the pool; the phone's lease keeps the patient's next message waiting.
            answer = await self._model.write(prompt, inbound, user_phone, request_id, deadline)
        assert answer is not None
        self._metrics.actions.labels(outcome.action.value).inc()
        log.info(
            "chat_replied",
            phone=mask_phone(user_phone),
            conversation_id=str(conversation_id),
            action=outcome.action.value,
            flow=outcome.state.flow,
            step=outcome.state.step,
        )
        return Reply(
            text=answer,
            action=outcome.action,
            conversation_id=conversation_id,
            request_id=request_id,
            verified=await self._is_verified(user_phone, vouched_by) if verified is None else verified,
            appointment=self._appointment(outcome, clinic.specialties),
            options=tuple(outcome.options),
        )

    async def _dialog_turn(
        self,
        conn: Connection,
        start: repository.TurnStart,
        clinic: Clinic,
        user_phone: str,
        text: str,
        request_id: str,
        vouched_by: VouchedBy,
        lease: Lease,
    ) -> tuple[Outcome, bool | None]:
        """The dialog's outcome, with whether the patient is verified when that was read after the dialog ran."""
        inbound = start.inbound
        conversation_id = inbound.conversation_id
        # One transaction for whatever the dialog reads and writes, begun by its first statement: a turn that sends
        # none (a greeting, a thank-you) ends with `finish_turn` alone. `conn` itself is in the transaction if one
        # began, so `finish_turn` on it is the transaction's last statement, or one on its own.
        async with LazyTransaction(conn) as turn_conn:
            # Read without a lock: the phone's lease keeps its other turns out, and `finish_turn` saves the next
            # state only over this one.
            state = self._parse_state(start.state, conversation_id)
            now = self._now()
            understood = understand(
                text,
                now=now,
                tz=self._zone,
                doctors=[d.full_name for d in clinic.doctors],
                emergency_model=self._emergency_model,
            )
            dialog = Dialog(turn_conn, otp=self._otp, clinic=clinic, settings=self._dialog_settings)
            turn = Turn(phone=user_phone, text=text, understood=understood, now=now, vouched_by=vouched_by)
            outcome = await dialog.respond(state, turn)
            # Answered now (by a template or, after this transaction, the model): what the clinic said last.
            outcome = replace(outcome, state=outcome.state.but(answered_at=now))
            for action, result in dialog.audited:
                if action.startswith("verification."):
                    self._metrics.verification.labels(action.removeprefix("verification."), result).inc()
            # News to the clinic: its n8n announcement is queued by the job queue's next tick (console/announce.py).
            flagged = outcome.flag is not None and await repository.flag_for_human(
                turn_conn,
                conversation_id=conversation_id,
                reason=outcome.flag,
                announce=self._settings.n8n_handover_webhook_url is not None,
            )
            if flagged:
                log.warning("conversation_flagged", phone=mask_phone(user_phone), reason=outcome.flag)
            # A greeting, a goodbye, small talk or anything for the model while a person has the conversation:
            # only that the person will answer. A request (book, cancel, a clinic question, an emergency) is not
            # one of these, and keeps its answer.
            waiting, verified = None, None
            if outcome.text is None or outcome.courtesy is not None:
                # Handed over this turn: as the turn started, nobody was yet.
                handed_over = start.awaiting_person if outcome.flag is None else None
                waiting, verified = await self._awaiting_person(
                    turn_conn, conversation_id, user_phone, vouched_by, outcome.state, handed_over
                )
            reply = None
            if waiting is not None:
                text, meta = await self._handoff_reply(turn_conn, inbound, waiting, outcome)
                outcome = replace(outcome, text=text, small_talk=None, courtesy=None, options=())
                reply = repository.NewReply(inbound, user_phone, text, Action.NONE.value, request_id, meta, {})
            elif outcome.text is not None:
                # With what a retry that finds this reply needs to answer the same (`_stored_answer`).
                extras = reply_extras(tuple(outcome.options), self._appointment(outcome, clinic.specialties))
                reply = repository.NewReply(
                    inbound, user_phone, outcome.text, outcome.action.value, request_id, {"source": "template"}, extras
                )
            # With its reply stored, the turn is done with its phone: the same statement gives the lease back.
            lease.returning = reply is not None
            try:
                saved = await repository.finish_turn(
                    conn,
                    conversation_id=conversation_id,
                    state_before=start.state,
                    state=outcome.state.model_dump(mode="json"),
                    reply=reply,
                    lease=(lease.key, lease.holder) if lease.returning else None,
                )
            except BaseException:
                lease.returning = False
                raise
            if not saved:
                # Another turn of this phone ran meanwhile (this one's lease ran out): nothing of this one stays.
                lease.returning = False
                raise TurnInterrupted()
        lease.returned, lease.returning = lease.returning, False
        return outcome, verified

    async def _too_long(
        self, conn: Connection, inbound: repository.StoredMessage, user_phone: str, request_id: str
    ) -> Outcome:
        """A message over MAX_MESSAGE_CHARS: the dialog does not read it (its state stays as it was) and the patient
        is asked for a shorter one."""
        log.info("message_too_long", conversation_id=str(inbound.conversation_id))
        meta: dict[str, object] = {"rejected": "too_long"}
        await store_reply(conn, inbound, user_phone, replies.MESSAGE_TOO_LONG, Action.NONE, request_id, meta)
        return Outcome(DialogState(), replies.MESSAGE_TOO_LONG)

    async def _is_verified(self, user_phone: str, vouched_by: VouchedBy) -> bool:
        try:
            return await self._otp.is_verified(user_phone, vouched_by)
        except RedisError:
            return False

    @staticmethod
    def _parse_state(stored: str, conversation_id: UUID) -> DialogState:
        try:
            return DialogState.model_validate_json(stored)
        except pydantic.ValidationError:
            # A state written by an older release that no longer parses: start the dialog afresh.
            log.warning("dialog_state_discarded", conversation_id=str(conversation_id))
            return DialogState()

    def _appointment(self, outcome: Outcome, specialties: dict[str, str]) -> AppointmentSummary | None:
        appointment = outcome.appointment
        if appointment is None:
            return None
        return AppointmentSummary(
            id=appointment.id,
            doctor=appointment.doctor_name,
            specialty=specialties.get(appointment.specialty_code, appointment.specialty_code),
            start=appointment.starts_at.astimezone(self._zone),
            end=appointment.ends_at.astimezone(self._zone),
            status=appointment.status.value,
        )

    async def _awaiting_person(
        self,
        conn: Connection,
        conversation_id: UUID,
        user_phone: str,
        vouched_by: VouchedBy,
        state: DialogState,
        handed_over: bool | None,
    ) -> tuple[_Awaiting | None, bool | None]:
        """Locked out of verification, or handed to a person (and no booking, cancellation or list since): the
        model is not asked, whatever the patient writes. None: neither. `handed_over`: whether a person has the
        conversation, when known already (None: asked here). With whether the patient is verified, when read
        (with the lock, in one call)."""
        locked_until = state.identity_locked_until
        if locked_until is not None and locked_until > self._now():
            return _Awaiting.LOCKED_OUT, None
        try:
            standing: Standing | None = await self._otp.standing(user_phone, vouched_by)
        except RedisError:
            standing = None
        verified = None if standing is None else standing.verified
        if standing is not None and standing.locked:
            return _Awaiting.LOCKED_OUT, verified
        if handed_over is None:
            handed_over = await repository.awaiting_person(
                conn, conversation_id=conversation_id, cleared_by=_CLEARS_HANDOFF
            )
        if handed_over:
            return _Awaiting.PERSON, verified
        return None, verified

    async def _handoff_reply(
        self, conn: Connection, inbound: repository.StoredMessage, waiting: _Awaiting, outcome: Outcome
    ) -> tuple[str, dict[str, object]]:
        """What happens next, in other words than last time if the patient keeps writing: a thank-you, an "ok" or a
        laugh gets a short line that keeps the patient waiting, anything else when and how a person will answer
        (without offering appointments to a patient locked out of verification). With the reply's meta, to store
        it."""
        conversation_id = inbound.conversation_id
        opens = clinic_answers.opens_next((await clinic_info.load(conn)).hours, self._now())
        if outcome.courtesy is Courtesy.GOODBYE or outcome.small_talk in _CLOSINGS:
            templates: tuple[str, ...] = replies.handoff_closing(outcome.small_talk, opens)
        else:
            locked = waiting is _Awaiting.LOCKED_OUT
            templates = replies.handoff_waiting(self._dialog_settings.emergency_number, opens, locked=locked)
        answer = await next_in_turn(conn, conversation_id, templates, limit=4)
        log.info("model_skipped_awaiting_person", conversation_id=str(conversation_id))
        return answer, {"source": "template", "rejected": "awaiting_person"}

    async def _small_talk_reply(
        self, conn: Connection, inbound: repository.StoredMessage, user_phone: str, kind: SmallTalk, request_id: str
    ) -> tuple[str, tuple[Option, ...]]:
        """Small talk answered from its templates, not the one just sent; a button where a person is offered."""
        answer = await next_in_turn(conn, inbound.conversation_id, replies.SMALL_TALK[kind], limit=6)
        options: tuple[Option, ...] = (TO_A_PERSON,) if kind in replies.OFFERS_A_PERSON else ()
        meta: dict[str, object] = {"source": "template", "small_talk": kind.value}
        extras = reply_extras(options, None)
        await store_reply(conn, inbound, user_phone, answer, Action.NONE, request_id, meta, extras=extras)
        return answer, options

    async def _stored_answer(
        self,
        conversation_id: UUID,
        stored: repository.StoredReply,
        request_id: str,
        user_phone: str,
        vouched_by: VouchedBy,
    ) -> Reply:
        """The answer a previous delivery of this message got (and perhaps never sent): its turn is not run again."""
        log.info("chat_reply_found_stored", conversation_id=str(conversation_id))
        return Reply(
            text=stored.content,
            action=Action(stored.action) if stored.action else Action.NONE,
            conversation_id=conversation_id,
            request_id=stored.request_id or request_id,
            verified=await self._is_verified(user_phone, vouched_by),
            appointment=appointment_kept(stored.extras),
            options=options_kept(stored.extras),
        )


def api_message_key(api_key_id: int, key: str) -> str:
    """The stored id of a /chat delivery's `message_id` or `Idempotency-Key`: each API key has its own ids."""
    return f"api:{api_key_id}:{key}"


def whatsapp_message_key(wamid: str) -> str:
    """The stored id of a WhatsApp message: its wamid, unique across the Cloud API."""
    return f"wa:{wamid}"


class _Awaiting(StrEnum):
    """Why the assistant only says a person will answer."""

    PERSON = "person"  # handed over: a person has the conversation
    LOCKED_OUT = "locked_out"  # locked out of verification: a person must help the patient verify


# "Ok", "gracias", "jaja" or "muy amable" while a person has the conversation: a short line, not the reminder.
_CLOSINGS = frozenset(
    {SmallTalk.ACKNOWLEDGE, SmallTalk.LAUGHTER, SmallTalk.COMPLIMENT, SmallTalk.GOOD_NEWS, SmallTalk.BIRTHDAY}
)
# Replies that show the patient is back in a flow the assistant runs: small talk after them goes to the model again.
_CLEARS_HANDOFF = (
    Action.SCHEDULE_APPOINTMENT.value,
    Action.CANCEL_APPOINTMENT.value,
    Action.RESCHEDULE_APPOINTMENT.value,
    Action.LIST_APPOINTMENTS.value,
)
