"""/console/conversaciones in real Chromium: a patient asks for a person through /chat and the open inbox shows it
without a reload (htmx under the pages' CSP, no violation); the transcript; a reply that reaches the (fake) Graph
API through the notification service running in this process; Resolver; the assistant answers again."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import asyncpg
import httpx
import pytest
from playwright.async_api import Page, expect

from gateway.conversation import replies, repository
from gateway.security.api_keys import create_api_key
from gateway.understanding.small_talk import SmallTalk
from notifications.service import NotificationService
from tests.e2e.fake_whatsapp import FakeGraphApi
from tests.gateway.console.conftest import PASSWORD
from tests.support.browser import screenshot

pytestmark = pytest.mark.browser

PHONE = "+59170009977"


async def _say(client: httpx.AsyncClient, key: str, text: str) -> dict[str, object]:
    answer = await client.post(
        "/chat", json={"messages": [{"role": "user", "content": text}], "user_id": PHONE}, headers={"X-API-Key": key}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


async def test_a_request_for_a_person_appears_live_is_answered_and_resolver_hands_it_back(
    page: Page,
    console_url: str,
    ana: object,
    conn: asyncpg.Connection,
    graph: FakeGraphApi,
    notifications: NotificationService,
) -> None:
    problems: list[str] = []
    # Chromium asks every site for /favicon.ico, which the gateway does not serve: that 404 alone is expected.
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.text} {m.location.get('url')}")
            if m.type in ("error", "warning") and not str(m.location.get("url")).endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    key = (await create_api_key(conn, name="n8n", scopes={"chat"})).secret
    await page.goto("/console/login")
    await page.get_by_label("Correo electrónico").fill("Ana.Perez@clinica.bo")
    await page.get_by_label("Contraseña").fill(PASSWORD)
    await page.get_by_role("button", name="Ingresar").click()
    await page.get_by_role("navigation").get_by_role("link", name="Conversaciones").click()
    await expect(page.get_by_role("heading", name="Conversaciones que esperan a una persona")).to_be_visible()
    await expect(page.locator("#ninguna")).to_be_visible()
    loads: list[str] = []
    page.on("framenavigated", lambda frame: loads.append(frame.url))

    async with httpx.AsyncClient(base_url=console_url, timeout=30) as patient:
        asked = await _say(patient, key, "quiero hablar con una persona")
        assert asked["action"] == "human_handoff"
        row = page.locator("li.waiting-row")
        await expect(row).to_have_count(1, timeout=12_000)  # the 5-second poll, no reload
        assert loads == []
        await expect(row).to_contain_text("Pide hablar con una persona")
        await expect(row).to_contain_text("+591 7•••• 977")
        await expect(row).to_contain_text("«quiero hablar con una persona»")
        await expect(page.locator("#esperando")).to_have_text("1 esperando", timeout=12_000)
        await screenshot(page, "console-conversaciones")

        while_waiting = await _say(patient, key, "¿le gusta el fútbol?")
        assert while_waiting["response"] not in replies.SMALL_TALK[SmallTalk.TASTES]
        held = "SELECT count(*) FROM messages WHERE meta ->> 'rejected' = 'awaiting_person'"
        assert await conn.fetchval(held) == 1  # "someone from the team will answer"

        await row.get_by_role("link").click()
        transcript = page.locator("ol.transcript li")
        await expect(transcript).to_have_count(4)
        await expect(transcript.nth(0)).to_contain_text("Paciente")
        await expect(transcript.nth(0)).to_contain_text("quiero hablar con una persona")
        await expect(transcript.nth(1)).to_contain_text("Asistente")
        await expect(page.locator("#ventana")).to_have_count(0)  # she wrote just now: free text may go
        answer = "Buenos días, soy Ana de recepción. ¿En qué le puedo ayudar?"
        await page.get_by_role("textbox", name="Respuesta").fill(answer)
        await page.get_by_role("button", name="Enviar respuesta").click()
        await expect(page.get_by_role("status")).to_contain_text("Respuesta enviada")
        await expect(transcript).to_have_count(5)
        await expect(transcript.nth(4)).to_contain_text("Personal: Ana Pérez")
        await expect(transcript.nth(4)).to_contain_text(answer)
        [sent] = await graph.await_for(1, PHONE.removeprefix("+"), within=20)
        assert (sent.body["type"], sent.text) == ("text", answer)
        assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'handover.replied'") == 1
        await screenshot(page, "console-conversacion")
        await page.get_by_role("button", name="Resolver").click()
        await expect(page.locator("#ninguna")).to_be_visible()

        again = await _say(patient, key, "¿le gusta el fútbol?")
    assert again["response"] in replies.SMALL_TALK[SmallTalk.TASTES]
    assert problems == [], problems  # no CSP violation, no script error


async def _signed_in(page: Page) -> None:
    await page.goto("/console/login")
    await page.get_by_label("Correo electrónico").fill("Ana.Perez@clinica.bo")
    await page.get_by_label("Contraseña").fill(PASSWORD)
    await page.get_by_role("button", name="Ingresar").click()
    await expect(page.get_by_role("navigation")).to_be_visible()


async def _waiting(conn: asyncpg.Connection, phone: str, said: str) -> str:
    conversation_id = await repository.open_conversation(
        conn, user_phone=phone, vouched_by="api_key:1", idle_after=timedelta(hours=24), channel="api"
    )
    await repository.add_message(
        conn, conversation_id=conversation_id, user_phone=phone, role="user", content=said, request_id="r1"
    )
    assert await repository.flag_for_human(conn, conversation_id=conversation_id, reason="human_handoff")
    return str(conversation_id)


async def _focused(page: Page) -> str:
    focused: str = await page.evaluate("document.activeElement.id || document.activeElement.tagName")
    return focused


async def test_the_polls_leave_a_keyboard_users_focus_where_it_is(
    page: Page, ana: object, conn: asyncpg.Connection
) -> None:
    first = await _waiting(conn, "+59170009901", "quiero hablar con una persona")
    second = await _waiting(conn, "+59170009902", "necesito ayuda con mi cita")
    polls: list[int] = []
    page.on("response", lambda r: polls.append(r.status) if "/fragmentos/" in r.url else None)
    await _signed_in(page)
    await page.goto("/console/conversaciones")
    await page.locator(f"#abrir-{first}").focus()
    await page.keyboard.press("Tab")
    assert await _focused(page) == f"abrir-{second}"

    await page.wait_for_timeout(6_500)

    assert polls and set(polls) == {204}  # polled, nothing changed, nothing swapped
    assert await _focused(page) == f"abrir-{second}"
    # Something does change: the list is swapped, and the focus follows the same conversation's link.
    await _waiting(conn, "+59170009903", "me equivoqué de fecha")
    await expect(page.locator("li.waiting-row")).to_have_count(3, timeout=12_000)
    assert await _focused(page) == f"abrir-{second}"


async def test_on_a_phone_ir_a_responder_jumps_over_a_long_transcript_to_the_reply_box(
    page: Page, ana: object, conn: asyncpg.Connection
) -> None:
    conversation_id = await _waiting(conn, "+59170009911", "quiero hablar con una persona")
    for turn in range(30):
        await repository.add_message(
            conn, conversation_id=UUID(conversation_id), user_phone="+59170009911", role="assistant",
            content=f"Mensaje largo número {turn}. " * 8, request_id=f"r{turn + 2}",
        )  # fmt: skip
    await page.set_viewport_size({"width": 390, "height": 844})
    await _signed_in(page)
    await page.goto(f"/console/conversaciones/{conversation_id}")
    reply_box = page.get_by_role("textbox", name="Respuesta")
    await expect(reply_box).not_to_be_in_viewport()

    await page.get_by_role("link", name="Ir a responder").focus()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")

    assert await _focused(page) == "texto"
    await expect(reply_box).to_be_in_viewport()
    await screenshot(page, "console-conversacion-telefono")
