"""The handover inbox: which conversations wait and in what order, transcripts, Resolver, and its pages' guards."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from appointments import repository as clinic
from appointments.demo import MARIA
from appointments.schemas import CreatedBy
from gateway import audit
from gateway.api.console_inbox import clock_time
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
    path = f"/console/conversaciones/{conversation_id}/responder"
    # Inside WhatsApp's template a reply must leave the filled body under its 1,024 characters.
    too_long = await browser.post(path, data={"texto": "a" * 901, "csrf": form_csrf(opened)}, headers=PAGE)
    sent = await browser.post(path, data={"texto": "Disculpe la demora.", "csrf": form_csrf(opened)}, headers=PAGE)

    assert 'id="ventana"' in opened.text and "Han pasado más de 24 horas" in opened.text
    assert 'maxlength="900"' in opened.text
    assert too_long.status_code == 400 and "admite como máximo 900 caracteres" in too_long.text
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


# --- QA: polls that keep the focus, who already replied, the patient's record, the way to the reply box -----------


def _poll_url(fragment: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*?hx-get="([^"]+)"', fragment, re.S)
    assert found is not None, fragment
    return html.unescape(found.group(1)).removeprefix("https://clinica.test")


async def test_the_polls_answer_no_content_while_what_they_show_is_unchanged(
    console: Console, ana: StaffUser, conn: asyncpg.Connection, clock: MovableClock
) -> None:
    conversation_id = await _conversation(conn, "+59170000901", "quiero hablar con una persona", reason="human_handoff")
    browser = await console.make()
    await sign_in(browser, ana.email)
    htmx = {"hx-request": "true", "accept": "text/html"}
    listed = await browser.get("/console/conversaciones", headers=PAGE)
    opened = await browser.get(f"/console/conversaciones/{conversation_id}", headers=PAGE)
    list_poll, count_poll = _poll_url(listed.text, "lista"), _poll_url(listed.text, "esperando")
    transcript_poll = _poll_url(opened.text, "transcripcion")
    assert "?v=" in list_poll and count_poll.endswith("?v=1") and "?v=" in transcript_poll

    clock.advance(minutes=7)  # "hace 7 min" is not a change worth moving anyone's focus for
    for poll in (list_poll, count_poll, transcript_poll):
        same = await browser.get(poll, headers=htmx)
        assert (same.status_code, same.text) == (204, ""), poll

    await repository.add_message(
        conn, conversation_id=conversation_id, user_phone="+59170000901", role="user", content="¿hay alguien?",
        request_id="r9",
    )  # fmt: skip
    await _conversation(conn, "+59170000902", "me desmayé", reason="emergency")
    changed_list = await browser.get(list_poll, headers=htmx)
    changed_count = await browser.get(count_poll, headers=htmx)
    changed_transcript = await browser.get(transcript_poll, headers=htmx)
    assert (
        changed_list.status_code == 200 and "¿hay alguien?" in changed_list.text and "Emergencia" in changed_list.text
    )
    assert changed_count.status_code == 200 and ">2<" in changed_count.text
    assert changed_transcript.status_code == 200 and "¿hay alguien?" in changed_transcript.text
    # The new fragments carry their new versions: polled again, nothing to swap.
    for fragment, element_id in (
        (changed_list, "lista"),
        (changed_count, "esperando"),
        (changed_transcript, "transcripcion"),
    ):
        again = await browser.get(_poll_url(fragment.text, element_id), headers=htmx)
        assert again.status_code == 204, element_id

    await inbox.resolve(conn, user=ana, conversation_id=conversation_id)
    resolved = await browser.get(_poll_url(changed_transcript.text, "transcripcion"), headers=htmx)
    assert resolved.status_code == 200 and "El asistente atiende esta conversación." in resolved.text


async def test_a_waiting_row_says_who_already_replied_since_it_was_flagged(
    console: Console, ana: StaffUser, conn: asyncpg.Connection, clock: MovableClock
) -> None:
    answered = await _conversation(conn, "+59170000911", "quiero hablar con una persona", reason="human_handoff")
    earlier = await _conversation(conn, "+59170000912", "hola", reason=None)
    rosa = await admin.create(
        conn, email="rosa@clinica.bo", full_name="Rosa Condori", role="recepcion", doctor_id=None, password=PASSWORD
    )
    staff_said = """
        INSERT INTO messages (conversation_id, user_phone, role, content, request_id, staff_user_id)
        VALUES ($1, $2, 'staff', 'Le ayudo.', 'r2', $3) RETURNING created_at
    """
    replied_at = await conn.fetchval(staff_said, answered, "+59170000911", rosa.id)
    await conn.fetchval(staff_said, earlier, "+59170000912", ana.id)  # answered in an earlier handover
    assert await repository.flag_for_human(conn, conversation_id=earlier, reason="human_handoff")

    rows = {r.conversation_id: r for r in await inbox.waiting(conn, user=ana)}

    assert (rows[answered].replied_by, rows[answered].replied_at) == ("Rosa Condori", replied_at)
    assert (rows[earlier].replied_by, rows[earlier].replied_at) == (None, None)
    browser = await console.make()
    await sign_in(browser, ana.email)
    listed = await browser.get("/console/conversaciones", headers=PAGE)
    shown = " ".join(re.sub(r"<[^>]+>", "", listed.text).split())
    at = clock_time(replied_at, ZoneInfo("America/La_Paz"), clock.now)
    assert f"Respondida por Rosa Condori · {at}" in shown
    assert shown.count("Respondida por") == 1
    assert "Último mensaje del paciente: «quiero hablar con una persona»" in shown


async def test_the_conversation_links_the_patients_record_only_for_whoever_may_open_it(
    console: Console, ana: StaffUser, conn: asyncpg.Connection, seeded: Clinic
) -> None:
    starts = local(MONDAY, 9)
    await clinic.insert_appointment(
        conn, patient_id=seeded.maria, doctor_id=seeded.quispe, starts_at=starts,
        ends_at=starts + timedelta(minutes=20), created_by=CreatedBy.PATIENT, channel="api",
        now=starts - timedelta(days=2),
    )  # fmt: skip
    locked = await _conversation(conn, MARIA.phone, "123456", reason="verification_failed")
    stranger = await _conversation(conn, "+59170000921", "una persona", reason="emergency")
    doctors = {
        name: await admin.create(
            conn, email=f"{name}@clinica.bo", full_name=name, role="medico", doctor_id=doctor, password=PASSWORD
        )
        for name, doctor in (("quispe", seeded.quispe), ("mamani", seeded.mamani))
    }
    record = f'href="https://clinica.test/console/pacientes/{seeded.maria}"'

    async def opened(email: str, conversation_id: UUID) -> str:
        browser = await console.make()
        await sign_in(browser, email)
        answer = await browser.get(f"/console/conversaciones/{conversation_id}", headers=PAGE)
        assert answer.status_code == 200
        return " ".join(answer.text.split())

    by_ana = await opened(ana.email, locked)
    assert record in by_ana and "Para desbloquear la verificación, abra la" in by_ana
    assert record in await opened(doctors["quispe"].email, locked)  # her own patient
    assert 'id="ficha"' not in await opened(ana.email, stranger)  # not a registered patient: nothing to open
    # Mamani may see the emergency of a patient who is not his, but not her record (it would be a 404 to him).
    await repository.flag_for_human(conn, conversation_id=locked, reason="emergency")
    by_mamani = await opened(doctors["mamani"].email, locked)
    assert "/console/pacientes/" not in by_mamani
    record_page = await (await console.make()).get(f"/console/pacientes/{seeded.maria}", headers=PAGE)
    assert record_page.status_code == 303  # (signed out: the link is a real route)


async def test_the_conversation_page_starts_with_a_way_to_the_reply_box(
    console: Console, ana: StaffUser, conn: asyncpg.Connection
) -> None:
    conversation_id = await _conversation(conn, "+59170000931", "una persona", reason="human_handoff")
    browser = await console.make()
    await sign_in(browser, ana.email)
    opened = await browser.get(f"/console/conversaciones/{conversation_id}", headers=PAGE)
    link = opened.text.index('<a href="#respuesta" id="ir-a-responder">Ir a responder</a>')
    assert link < opened.text.index('id="transcripcion"')
    assert 'id="respuesta" aria-labelledby="titulo-respuesta" class="reply" tabindex="-1"' in opened.text


async def test_a_patient_who_writes_after_resolver_is_listed_apart_for_a_day(
    console: Console, ana: StaffUser, conn: asyncpg.Connection
) -> None:
    answered = await _conversation(conn, "+59170000901", "quiero hablar con una persona", reason="human_handoff")
    quiet = await _conversation(conn, "+59170000902", "quiero hablar con una persona", reason="human_handoff")
    for conversation_id in (answered, quiet):
        assert await inbox.resolve(conn, user=ana, conversation_id=conversation_id)
    await conn.execute(
        "INSERT INTO messages (conversation_id, user_phone, role, content, request_id, created_at) "
        "VALUES ($1, '+59170000901', 'user', 'Mi NIT es 1234567', 'r9', now() + interval '1 second')",
        answered,
    )
    browser = await console.make()
    await sign_in(browser, ana.email)

    [listed] = await inbox.wrote_after_resolved(conn, user=ana)
    page = await browser.get("/console/conversaciones", headers=PAGE)
    await conn.execute("UPDATE handovers SET resolved_at = resolved_at - interval '25 hours'")

    assert (listed.conversation_id, listed.resolved_by, listed.new_messages) == (answered, "Ana Pérez", 1)
    assert listed.last_message == "Mi NIT es 1234567"
    assert "Escribieron después de resolverse" in page.text and "Resuelta por Ana Pérez" in page.text
    assert str(quiet) not in page.text
    assert await inbox.wrote_after_resolved(conn, user=ana) == []  # a day later it is history
    assert await inbox.waiting_count(conn) == 0  # nobody is waiting: the count does not ring
