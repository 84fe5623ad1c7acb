"""The handover inbox: which conversations wait and in what order, transcripts, Resolver, and its pages' guards."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import asyncpg
import pytest

from appointments import repository as clinic
from appointments.demo import MARIA
from appointments.schemas import CreatedBy
from gateway import audit
from gateway.console import admin, inbox
from gateway.console.repository import StaffUser
from gateway.conversation import repository
from tests.gateway.console.conftest import PASSWORD, Console, MovableClock, form_csrf, sign_in
from tests.support.clinic import MONDAY, Clinic, local, seeded_clinic

PAGE = {"accept": "text/html"}


async def _conversation(
    conn: asyncpg.Connection, phone: str, said: str, *, reason: str | None, minutes_ago: int = 0
) -> UUID:
    conversation_id = await repository.open_conversation(
        conn, user_phone=phone, vouched_by="api_key:1", idle_after=timedelta(hours=24), channel="api"
    )
    await repository.add_message(
        conn, conversation_id=conversation_id, user_phone=phone, role="user", content=said, request_id="r1"
    )
    await repository.add_message(
        conn, conversation_id=conversation_id, user_phone=phone, role="assistant", content="Con gusto.", request_id="r1"
    )
    if reason is not None:
        assert await repository.flag_for_human(conn, conversation_id=conversation_id, reason=reason)
        await conn.execute(
            "UPDATE conversations SET needs_human_since = now() - make_interval(mins => $2) WHERE id = $1",
            conversation_id,
            minutes_ago,
        )
    return conversation_id


@pytest.fixture
async def seeded(conn: asyncpg.Connection) -> Clinic:
    return await seeded_clinic(conn)


async def test_waiting_lists_emergencies_then_people_then_failed_verifications_longest_first(
    conn: asyncpg.Connection, ana: StaffUser, seeded: Clinic
) -> None:
    late_person = await _conversation(conn, "+59170000101", "quiero una persona", reason="human_handoff", minutes_ago=5)
    locked = await _conversation(conn, "+59170000102", "123456", reason="verification_failed", minutes_ago=50)
    early_person = await _conversation(conn, MARIA.phone, "hablar con alguien", reason="human_handoff", minutes_ago=30)
    emergency = await _conversation(conn, "+59170000104", "me duele el pecho", reason="emergency", minutes_ago=1)
    await _conversation(conn, "+59170000105", "hola", reason=None)

    rows = await inbox.waiting(conn, user=ana)

    assert [r.conversation_id for r in rows] == [emergency, early_person, late_person, locked]
    assert [r.reason_name for r in rows] == [
        "Emergencia",
        "Pide hablar con una persona",
        "Pide hablar con una persona",
        "Verificación fallida",
    ]
    maria = rows[1]
    assert maria.patient_name == MARIA.full_name and maria.phone == "+591 7•••• 001"
    assert maria.last_message == "hablar con alguien" and maria.waited >= timedelta(minutes=29)
    assert rows[0].patient_name is None
    assert await inbox.waiting_count(conn, user=ana) == 4


async def test_a_medico_sees_emergencies_and_their_own_patients_only(conn: asyncpg.Connection, seeded: Clinic) -> None:
    starts = local(MONDAY, 9)
    await clinic.insert_appointment(
        conn,
        patient_id=seeded.maria,
        doctor_id=seeded.quispe,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=20),
        created_by=CreatedBy.PATIENT,
        channel="api",
        now=starts - timedelta(days=2),
    )
    mine = await _conversation(conn, MARIA.phone, "una persona", reason="human_handoff")
    stranger = await _conversation(conn, "+59170000201", "una persona", reason="human_handoff")
    emergency = await _conversation(conn, "+59170000202", "no respira", reason="emergency")
    quispe = await admin.create(
        conn, email="quispe@clinica.bo", full_name="Carmen Quispe", role="medico", doctor_id=seeded.quispe,
        password="correcto-caballo-bateria",
    )  # fmt: skip
    mamani = await admin.create(
        conn, email="mamani@clinica.bo", full_name="Jorge Mamani", role="medico", doctor_id=seeded.mamani,
        password="correcto-caballo-bateria",
    )  # fmt: skip

    assert [r.conversation_id for r in await inbox.waiting(conn, user=quispe)] == [emergency, mine]
    assert [r.conversation_id for r in await inbox.waiting(conn, user=mamani)] == [emergency]
    with pytest.raises(inbox.ConversationNotFound):
        await inbox.conversation(conn, user=mamani, conversation_id=mine)
    with pytest.raises(inbox.ConversationNotFound):
        await inbox.resolve(conn, user=quispe, conversation_id=stranger)
    assert await inbox.waiting_count(conn) == 3


async def test_resolve_hands_back_audited_and_keeps_the_history(conn: asyncpg.Connection, ana: StaffUser) -> None:
    conversation_id = await _conversation(conn, "+59170000301", "una persona", reason="human_handoff")

    assert await inbox.resolve(conn, user=ana, conversation_id=conversation_id) is True
    assert await inbox.resolve(conn, user=ana, conversation_id=conversation_id) is False  # someone was first

    assert not await repository.awaiting_person(conn, conversation_id=conversation_id, cleared_by=())
    assert await inbox.waiting(conn, user=ana) == []
    [entry] = await audit.recent(conn, action="handover.resolved")
    assert entry.actor == f"staff_user:{ana.id}" and entry.target == f"conversation:{conversation_id}"
    assert entry.detail["reason"] == "human_handoff"
    # Flagged again later: a second handover, the first one kept with who resolved it.
    assert await repository.flag_for_human(conn, conversation_id=conversation_id, reason="emergency")
    [first, second] = await inbox.history(conn, conversation_id=conversation_id)
    assert (first.reason, first.resolved_by) == ("human_handoff", ana.full_name) and first.resolved_at is not None
    assert (second.reason, second.resolved_at) == ("emergency", None)


async def test_an_emergency_overtakes_a_waiting_request_and_nothing_else_does(conn: asyncpg.Connection) -> None:
    conversation_id = await _conversation(conn, "+59170000401", "una persona", reason="human_handoff")

    assert not await repository.flag_for_human(conn, conversation_id=conversation_id, reason="verification_failed")
    assert await repository.flag_for_human(conn, conversation_id=conversation_id, reason="emergency")
    assert not await repository.flag_for_human(conn, conversation_id=conversation_id, reason="emergency")

    reasons = await conn.fetch("SELECT reason FROM handovers WHERE conversation_id = $1", conversation_id)
    assert [r["reason"] for r in reasons] == ["emergency"]
    assert await conn.fetchval("SELECT needs_human_reason FROM conversations WHERE id = $1", conversation_id) == (
        "emergency"
    )


async def test_a_transcript_names_who_wrote_each_message_and_survives_unknown_roles(
    conn: asyncpg.Connection, ana: StaffUser
) -> None:
    conversation_id = await _conversation(conn, "+59170000501", "una persona", reason="human_handoff")
    await conn.execute(
        """
        INSERT INTO messages (conversation_id, user_phone, role, content, request_id, staff_user_id)
        VALUES ($1, '+59170000501', 'staff', 'Buenos días, le ayudo.', 'r2', $2)
        """,
        conversation_id,
        ana.id,
    )
    # A role the console does not know yet.
    await conn.execute("ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_role_check")
    await conn.execute(
        """
        INSERT INTO messages (conversation_id, user_phone, role, content, request_id)
        VALUES ($1, '+59170000501', 'system', 'nota', 'r3')
        """,
        conversation_id,
    )

    found = await inbox.conversation(conn, user=ana, conversation_id=conversation_id)

    assert [(line.speaker, line.content) for line in found.lines] == [
        ("Paciente", "una persona"),
        ("Asistente", "Con gusto."),
        ("Personal: Ana Pérez", "Buenos días, le ayudo."),
        ("system", "nota"),
    ]
    assert found.waiting and found.reason_name == "Pide hablar con una persona"


# --- the pages -------------------------------------------------------------------------------------------------


async def test_the_pages_send_a_stranger_to_sign_in(console: Console) -> None:
    browser = await console.make()
    for path in ("/console/conversaciones", f"/console/conversaciones/{uuid4()}"):
        answer = await browser.get(path, headers=PAGE)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/login"
    fragment = await browser.get("/console/fragmentos/conversaciones", headers={"hx-request": "true"})
    assert fragment.status_code == 401


async def test_the_list_links_each_conversation_and_resolver_needs_the_forms_token(
    console: Console, ana: StaffUser, conn: asyncpg.Connection
) -> None:
    conversation_id = await _conversation(conn, "+59170000601", "quiero hablar con una persona", reason="human_handoff")
    browser = await console.make()
    await sign_in(browser, ana.email)

    listed = await browser.get("/console/conversaciones", headers=PAGE)
    assert listed.status_code == 200
    assert f'href="https://clinica.test/console/conversaciones/{conversation_id}"' in listed.text
    assert "+591 7•••• 601" in listed.text and "+59170000601" not in listed.text
    assert "«quiero hablar con una persona»" in listed.text
    home = await browser.get("/console/", headers=PAGE)
    assert '<strong id="esperan">1</strong>' in home.text
    opened = await browser.get(f"/console/conversaciones/{conversation_id}", headers=PAGE)
    assert opened.status_code == 200 and "Resolver" in opened.text

    refused = await browser.post(f"/console/conversaciones/{conversation_id}/resolver", data={}, headers=PAGE)
    assert refused.status_code == 403
    assert await inbox.waiting_count(conn) == 1

    resolved = await browser.post(
        f"/console/conversaciones/{conversation_id}/resolver", data={"csrf": form_csrf(opened)}, headers=PAGE
    )
    assert resolved.status_code == 303 and resolved.headers["location"] == "/console/conversaciones"
    assert await inbox.waiting_count(conn) == 0
    after = await browser.get("/console/conversaciones", headers=PAGE)
    assert "No hay conversaciones esperando a una persona." in after.text


@pytest.mark.parametrize("tail", ["no-es-un-uuid", str(uuid4())])
async def test_an_unknown_conversation_is_a_spanish_404(console: Console, ana: StaffUser, tail: str) -> None:
    browser = await console.make()
    await sign_in(browser, ana.email)
    opened = await browser.get(f"/console/conversaciones/{tail}", headers=PAGE)
    assert opened.status_code == 404 and "No encontramos esa conversación" in opened.text
    home = await browser.get("/console/", headers=PAGE)
    posted = await browser.post(
        f"/console/conversaciones/{tail}/resolver", data={"csrf": form_csrf(home)}, headers=PAGE
    )
    assert posted.status_code == 404


async def test_the_fragments_poll_the_list_and_the_count(
    console: Console, ana: StaffUser, conn: asyncpg.Connection
) -> None:
    browser = await console.make()
    await sign_in(browser, ana.email)
    htmx = {"hx-request": "true", "accept": "text/html"}
    empty = await browser.get("/console/fragmentos/conversaciones", headers=htmx)
    assert empty.text.lstrip().startswith('<div id="lista"') and "No hay conversaciones" in empty.text

    await _conversation(conn, "+59170000701", "me desmayé", reason="emergency")

    listed = await browser.get("/console/fragmentos/conversaciones", headers=htmx)
    assert "Emergencia" in listed.text and "<html" not in listed.text
    count = await browser.get("/console/fragmentos/esperando", headers=htmx)
    assert 'id="esperando"' in count.text and ">1<" in count.text


# --- replying ----------------------------------------------------------------------------------------------------


async def test_a_reply_is_stored_as_the_persons_queued_once_and_audited_but_refused_empty_or_without_the_token(
    console: Console, ana: StaffUser, conn: asyncpg.Connection
) -> None:
    conversation_id = await _conversation(conn, "+59170000801", "quiero hablar con una persona", reason="human_handoff")
    browser = await console.make()
    await sign_in(browser, ana.email)
    opened = await browser.get(f"/console/conversaciones/{conversation_id}", headers=PAGE)
    assert 'id="ventana"' not in opened.text  # she wrote just now
    path = f"/console/conversaciones/{conversation_id}/responder"

    forged = await browser.post(path, data={"texto": "Hola"}, headers=PAGE)
    empty = await browser.post(path, data={"texto": "   ", "csrf": form_csrf(opened)}, headers=PAGE)
    too_long = await browser.post(path, data={"texto": "a" * 1001, "csrf": form_csrf(opened)}, headers=PAGE)
    assert forged.status_code == 403
    assert empty.status_code == 400 and "Escriba la respuesta antes de enviarla." in empty.text
    assert too_long.status_code == 400 and "como máximo 1000 caracteres" in too_long.text
    assert "a" * 1001 in too_long.text  # what was typed is kept
    assert await conn.fetchval("SELECT count(*) FROM staff_messages") == 0

    sent = await browser.post(path, data={"texto": " Buenos días, le ayudo. ", "csrf": form_csrf(opened)}, headers=PAGE)

    assert sent.status_code == 303
    assert sent.headers["location"] == f"/console/conversaciones/{conversation_id}?enviado=1#respuesta"
    stored = await conn.fetchrow("SELECT role, content, staff_user_id FROM messages WHERE role = 'staff'")
    assert stored is not None
    assert dict(stored) == {"role": "staff", "content": "Buenos días, le ayudo.", "staff_user_id": ana.id}
    queued = await conn.fetchrow("SELECT purpose, phone, text, status FROM staff_messages")
    assert queued is not None and dict(queued) == {
        "purpose": "reply",
        "phone": "+59170000801",
        "text": "Buenos días, le ayudo.",
        "status": "pending",
    }
    entry = await conn.fetchrow("SELECT actor, target, detail FROM audit_log WHERE action = 'handover.replied'")
    assert entry is not None
    assert (entry["actor"], entry["target"]) == (f"staff_user:{ana.id}", f"conversation:{conversation_id}")
    assert "Buenos" not in str(entry["detail"])  # the text is in the conversation, never in the audit log
    shown = await browser.get(sent.headers["location"], headers=PAGE)
    assert "Respuesta enviada" in shown.text and "Personal: Ana Pérez" in shown.text
    assert await inbox.waiting_count(conn) == 1  # still with a person until Resolver


async def test_past_whatsapps_24_hours_the_page_says_the_reply_goes_as_a_template(
    console: Console, ana: StaffUser, conn: asyncpg.Connection, clock: MovableClock
) -> None:
    conversation_id = await _conversation(conn, "+59170000802", "quiero hablar con una persona", reason="human_handoff")
    await conn.execute(
        "UPDATE messages SET created_at = $2 WHERE conversation_id = $1",
        conversation_id,
        clock.now - timedelta(hours=25),
    )
    browser = await console.make()
    await sign_in(browser, ana.email)

    opened = await browser.get(f"/console/conversaciones/{conversation_id}", headers=PAGE)
    sent = await browser.post(
        f"/console/conversaciones/{conversation_id}/responder",
        data={"texto": "Disculpe la demora.", "csrf": form_csrf(opened)},
        headers=PAGE,
    )

    assert 'id="ventana"' in opened.text and "Han pasado más de 24 horas" in opened.text
    assert sent.status_code == 303
    detail = await conn.fetchval("SELECT detail FROM audit_log WHERE action = 'handover.replied'")
    assert '"as_template": true' in str(detail)


async def test_a_medico_cannot_reply_to_a_conversation_they_may_not_see(
    console: Console, conn: asyncpg.Connection, seeded: Clinic
) -> None:
    conversation_id = await _conversation(conn, "+59170000803", "quiero hablar con una persona", reason="human_handoff")
    doctor = await admin.create(
        conn,
        email="vargas@clinica.bo",
        full_name="Lucía Vargas",
        role="medico",
        password=PASSWORD,
        doctor_id=seeded.vargas,
    )
    browser = await console.make()
    await sign_in(browser, doctor.email)
    home = await browser.get("/console/", headers=PAGE)

    posted = await browser.post(
        f"/console/conversaciones/{conversation_id}/responder",
        data={"texto": "Hola", "csrf": form_csrf(home)},
        headers=PAGE,
    )

    assert posted.status_code == 404
    assert await conn.fetchval("SELECT count(*) FROM staff_messages") == 0
