"""OWASP API2:2023 Broken Authentication.

Attacks held here:
- an impersonator who knows only a patient's phone number answers the identity question with that
  number's last 4 digits: the default question is the date of birth on file, which the number does not reveal;
- guessing the date of birth: wrong answers lock the question and hand over to a person, with no SMS sent;
- posting to the public n8n webhook as "any phone" without Meta's signature: the workflow checks
  `X-Hub-Signature-256` before any node can call /chat or send (run for real in tests/e2e), and the
  handshake needs the verify token; no secret is written in the workflow;
- guessing the SMS code across many 15-minute lockout windows: at most 10 wrong codes per phone in 24 h,
  then the phone is locked until the clinic's midnight; only staff can lift that, and that is audited.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import redis.asyncio as redis

from appointments import demo
from appointments.demo import seed_demo_clinic
from gateway.security.api_keys import create_api_key
from gateway.verification.errors import LockedOut
from gateway.verification.otp import OtpService
from gateway.verification.sms import HttpSmsSender
from gateway.verification.vouching import by_api_key
from tests.gateway.verification.fake_sms import FakeSmsServer
from tests.support import n8n_workflow
from tests.support.chat import ChatPatient
from tests.support.gateway import MakeClient

MARIA = demo.MARIA


async def test_the_phones_last_four_digits_do_not_pass_the_identity_question(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    gateway: httpx.AsyncClient = await make_client()
    impostor = ChatPatient(gateway, api_key, MARIA.phone, sms)

    asked = await impostor.say("mis citas")
    assert asked["action"] == "verification_required"
    assert "fecha de nacimiento" in asked["response"]
    for answer in (MARIA.phone[-4:], f"son {MARIA.phone[-4:]}", MARIA.phone):
        reply = await impostor.say(answer)
        assert reply["action"] == "verification_required", reply
        assert reply["verified"] is False
        assert "código" not in reply["response"]

    assert sms.received == []


async def test_the_right_date_of_birth_passes_and_wrong_ones_hand_over_to_a_person(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    gateway: httpx.AsyncClient = await make_client()
    impostor = ChatPatient(gateway, api_key, demo.JUAN.phone, sms)
    await impostor.say("mis citas")
    for guess in ("01/01/1980", "15 de mayo de 1975"):
        assert "no coincide" in (await impostor.say(guess))["response"]
    locked = await impostor.say("04/11/1987")
    assert locked["action"] == "human_handoff"
    assert "bloqueada" in (await impostor.say("mis citas"))["response"]  # the right one is too late now
    assert "código" not in (await impostor.say(demo.JUAN.date_of_birth.strftime("%d/%m/%Y")))["response"]
    assert sms.received == []

    maria = ChatPatient(gateway, api_key, MARIA.phone, sms)
    listed = await maria.verify("mis citas", "21 de mayo de 1987")
    assert listed["action"] == "list_appointments"


async def test_clinics_that_insist_may_ask_for_the_last_four_digits(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    gateway: httpx.AsyncClient = await make_client(KNOWLEDGE_CHECK="last4")
    maria = ChatPatient(gateway, api_key, MARIA.phone, sms)

    asked = await maria.say("mis citas")
    assert "últimos 4 dígitos" in asked["response"]
    assert "no coinciden" in (await maria.say("9999"))["response"]
    listed = await maria.verify("mis citas", MARIA.phone[-4:])

    assert listed["action"] == "list_appointments"
    detail = await conn.fetchval(
        "SELECT detail->>'method' FROM audit_log WHERE action = 'verification.identity' AND outcome = 'success'"
    )
    assert detail == "last4"


# --- the n8n workflow in front of Meta (deploy/n8n/workflow.json) --------------------------------------
# Run for real in tests/e2e/test_n8n_workflow.py (make test-e2e); these read its structure without n8n.


def test_n8n_checks_metas_signature_before_any_node_can_call_out() -> None:
    (delivery_flow,) = [w for w in n8n_workflow.workflows() if w.webhooks("POST")]
    (webhook,) = delivery_flow.webhooks("POST")
    # The raw body is what Meta signs; answering from a node lets the check refuse with 401.
    assert webhook["parameters"]["responseMode"] == "responseNode"
    assert webhook["parameters"]["options"].get("rawBody") is True

    ((check_name,),) = delivery_flow.outputs(webhook["name"])
    check = delivery_flow.nodes[check_name]
    assert check["type"] == n8n_workflow.CODE
    code = check["parameters"]["jsCode"]
    for part in ("x-hub-signature-256", "createHmac('sha256'", "timingSafeEqual", "$env.WHATSAPP_APP_SECRET"):
        assert part in code, part

    ((gate_name,),) = delivery_flow.outputs(check_name)
    gate = delivery_flow.nodes[gate_name]
    assert gate["type"] == n8n_workflow.IF
    assert "$json.signed" in json.dumps(gate["parameters"])
    (accept,), (refuse,) = delivery_flow.outputs(gate_name)
    # A signed delivery is acknowledged at once (Meta wants 200 well within 3 s), then processed.
    assert delivery_flow.nodes[accept]["type"] == n8n_workflow.RESPOND
    assert delivery_flow.nodes[accept]["parameters"]["options"]["responseCode"] == 200
    assert delivery_flow.nodes[refuse]["type"] == n8n_workflow.RESPOND
    assert delivery_flow.nodes[refuse]["parameters"]["options"]["responseCode"] == 401
    assert delivery_flow.reachable(refuse) == set()

    # Whatever calls out (the gateway's /chat, the Graph API) is reachable only through the "signed" branch.
    callers = {name for name, node in delivery_flow.nodes.items() if n8n_workflow.sends_anything(node)}
    assert callers, "the workflow calls the gateway and the Graph API"
    assert callers <= delivery_flow.reachable(webhook["name"])
    assert not callers & delivery_flow.reachable(webhook["name"], cut=(gate_name, 0))


def test_n8n_answers_metas_handshake_only_with_the_verify_token_and_keeps_no_record_of_it() -> None:
    (handshake,) = [w for w in n8n_workflow.workflows() if w.webhooks("GET")]
    (webhook,) = handshake.webhooks("GET")
    ((check_name,),) = handshake.outputs(webhook["name"])
    code = handshake.nodes[check_name]["parameters"]["jsCode"]
    for part in ("$env.WHATSAPP_VERIFY_TOKEN", "timingSafeEqual", "'subscribe'", "hub.challenge"):
        assert part in code, part
    # The request carries the verify token: its executions are not saved in n8n's database.
    settings = handshake.data["settings"]
    assert settings["saveDataSuccessExecution"] == "none" and settings["saveDataErrorExecution"] == "none"


def test_the_n8n_workflow_holds_no_secret_only_references_to_the_environment() -> None:
    for workflow in n8n_workflow.workflows():
        for node in workflow.nodes.values():
            for header in node["parameters"].get("headerParameters", {}).get("parameters", []):
                if header["name"].lower() in ("x-api-key", "authorization"):
                    assert header["value"].startswith("=") and "$env." in header["value"], header
        text = list(n8n_workflow.strings(workflow.data))
        assert not any(re.search(r"ck_[0-9a-f]{8}_", s) for s in text)  # a gateway API key
        assert not any(re.search(r"\bEAA[A-Za-z0-9]{20,}", s) for s in text)  # a Meta access token
        assert not any(re.search(r"Bearer [A-Za-z0-9]", s) for s in text)
    code = json.dumps([w.data for w in n8n_workflow.workflows()])
    for name in ("WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "WHATSAPP_ACCESS_TOKEN", "GATEWAY_API_KEY"):
        assert f"$env.{name}" in code, name


async def test_code_guesses_across_many_lockout_windows_stop_at_ten_a_day(redis_url: str, sms: FakeSmsServer) -> None:
    la_paz = ZoneInfo("America/La_Paz")
    morning = datetime.fromtimestamp(time.time(), la_paz).replace(
        hour=8, minute=0, second=0, microsecond=0
    ) + timedelta(days=1)
    now = [morning.timestamp()]
    client = redis.Redis.from_url(redis_url)
    async with HttpSmsSender(base_url=sms.url, token="t") as sender:
        otp = OtpService(
            client, sender, secret=b"s" * 32, key_prefix=f"test-{uuid.uuid4().hex}", clock=lambda: now[0], tz=la_paz
        )
        guesses, lock = 0, None
        for _ in range(20):  # five hours of 15-minute windows: 100 guesses before this control
            try:
                await otp.send_code(MARIA.phone, by_api_key(1))
            except LockedOut as exc:
                lock = exc
            else:
                wrong = f"{(int(sms.codes()[-1]) + 1) % 1_000_000:06d}"
                while True:
                    guesses += 1
                    try:
                        assert await otp.check_code(MARIA.phone, wrong) is False
                    except LockedOut:
                        break
            now[0] += 15 * 60
        right = sms.codes()[-1]
        try:
            await otp.check_code(MARIA.phone, right)
        except LockedOut as exc:
            lock = exc
    await client.aclose()

    assert guesses == 10
    assert lock is not None and lock.for_the_day
    midnight = datetime.combine(morning.date() + timedelta(days=1), datetime.min.time(), tzinfo=la_paz)
    assert lock.retry_after == round(midnight.timestamp() - now[0])


async def test_staff_unlock_a_phone_locked_for_the_day_and_it_is_audited(
    make_client: MakeClient, conn: asyncpg.Connection, api_key: str, sms: FakeSmsServer
) -> None:
    await seed_demo_clinic(conn)
    gateway: httpx.AsyncClient = await make_client(OTP_MAX_FAILURES_PER_DAY=2)
    maria = ChatPatient(gateway, api_key, MARIA.phone, sms)
    born = MARIA.date_of_birth.strftime("%d/%m/%Y")
    await maria.say("mis citas")
    assert "código" in (await maria.say(born))["response"]
    wrong = f"{(int(maria.last_code()) + 1) % 1_000_000:06d}"
    assert (await maria.say(wrong))["action"] == "verification_required"
    locked = await maria.say(wrong)
    assert locked["action"] == "human_handoff" and "hasta mañana" in locked["response"]
    await maria.say("mis citas")
    assert "hasta mañana" in (await maria.say(born))["response"]  # no new code today
    assert len(maria.codes()) == 1

    staff = await create_api_key(conn, name="recepción", scopes={"staff"})
    unlock = {"phone": MARIA.phone}
    assert (await gateway.post("/staff/verification/unlock", json=unlock)).status_code == 401
    refused = await gateway.post("/staff/verification/unlock", json=unlock, headers={"X-API-Key": api_key})
    assert refused.status_code == 403
    for bad in ({"phone": "70000001"}, {"phone": MARIA.phone, "extra": 1}, {}):
        answer = await gateway.post("/staff/verification/unlock", json=bad, headers={"X-API-Key": staff.secret})
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "validation_error"
    unlocked = await gateway.post("/staff/verification/unlock", json=unlock, headers={"X-API-Key": staff.secret})

    assert unlocked.status_code == 200, unlocked.text
    patient_id = await conn.fetchval("SELECT id FROM patients WHERE phone = $1", MARIA.phone)
    assert unlocked.json() == {"was_locked": True, "patient_id": patient_id}
    listed = await maria.verify("mis citas", born)
    assert listed["action"] == "list_appointments"
    row = await conn.fetchrow(
        "SELECT actor, target, outcome, detail::text FROM audit_log WHERE action = 'verification.unlocked'"
    )
    assert row["actor"] == f"staff:recepción#{staff.key.id}"
    assert (row["target"], row["outcome"]) == (f"patient:{patient_id}", "success")
    assert json.loads(row["detail"]) == {"phone": "+591*****001", "was_locked": True}
    assert MARIA.phone not in "".join(str(value) for value in row.values())
