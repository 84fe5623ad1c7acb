"""The fault drill's accounting (bench/chaos/accounting.py) finds each kind of failure in records made up for it."""

from __future__ import annotations

import math

from bench.chaos.accounting import GroundTruth, StoredMessage, TakenSend, account
from bench.chaos.load import Attempt, Delivery
from gateway.conversation.service import api_message_key, whatsapp_message_key
from gateway.whatsapp.service import CALLBACK_PREFIX

KEY_ID = 7
ANA, BETO, WA = "+59162000001", "+59162000002", "+59173000001"


def chat(message_id: str, phone: str, *statuses: int | None, acked_after: float | None = 1.0) -> Delivery:
    delivery = Delivery("chat", message_id, phone)
    for i, status in enumerate(statuses):
        delivery.attempts.append(Attempt(10.0 + i, status, 0.1, retry_after=status == 503))
    if acked_after is not None:
        delivery.acknowledged_at = 10.0 + acked_after
    return delivery


def whatsapp(wamid: str) -> Delivery:
    delivery = Delivery("whatsapp", wamid, WA, [Attempt(20.0, 200, 0.05)])
    delivery.acknowledged_at = 20.05
    return delivery


def stored(phone: str, message_id: str, replied: bool = True) -> StoredMessage:
    return StoredMessage(phone, api_message_key(KEY_ID, message_id), replied)


def truth(messages: list[StoredMessage], **overrides: object) -> GroundTruth:
    values: dict[str, object] = {
        "messages": messages,
        "whatsapp_inbound": {"wamid.1": "answered"},
        "outbox_parts": {f"{CALLBACK_PREFIX}1": "wamid.1"},
        "sends": [TakenSend(23.0, f"{CALLBACK_PREFIX}1")],
        "bookings": {ANA: 1},
        "booking_replies": {ANA: 1},
        **overrides,
    }
    return GroundTruth(**values)  # type: ignore[arg-type]


def clean_run() -> tuple[list[Delivery], list[StoredMessage]]:
    deliveries = [
        chat("m1", ANA, 200, acked_after=0.5),
        chat("m2", BETO, 409, 200, acked_after=1.5),
        whatsapp("wamid.1"),
    ]
    messages = [stored(ANA, "m1"), stored(BETO, "m2"), StoredMessage(WA, whatsapp_message_key("wamid.1"), True)]
    return deliveries, messages


def test_a_clean_run_meets_every_target_and_measures_latency_from_the_first_try() -> None:
    deliveries, messages = clean_run()

    figures = account(deliveries, truth(messages), api_key_id=KEY_ID)

    assert figures.failures() == [], figures
    assert (figures.total("sent"), figures.total("acknowledged"), figures.total("unacknowledged")) == (3, 3, 0)
    assert sorted(figures.chat.latencies) == [0.5, 1.5]
    assert math.isclose(figures.whatsapp.latencies[0], 3.0)  # webhook at 20 s, the Graph API took the answer at 23 s


def test_a_503_with_retry_after_is_a_5xx_counted_apart() -> None:
    deliveries, messages = clean_run()
    deliveries.append(chat("m3", ANA, 502, 503, 200))
    messages.append(stored(ANA, "m3"))

    figures = account(deliveries, truth(messages), api_key_id=KEY_ID)

    assert (figures.chat.server_errors, figures.chat.retry_after_503) == (2, 1)
    assert figures.chat.outcomes == {"409": 1, "502": 1, "503": 1}
    assert figures.failures() == ["5xx: 2 (target 0)"]


def test_an_acknowledged_message_missing_from_the_database_is_lost() -> None:
    deliveries, messages = clean_run()
    deliveries.append(chat("m3", BETO, 200))
    deliveries.append(chat("m4", BETO, 503, acked_after=None))  # never acknowledged: given up, not lost

    figures = account(deliveries, truth(messages, whatsapp_inbound={}), api_key_id=KEY_ID)

    assert (figures.chat.lost, figures.chat.unacknowledged) == (1, 1)
    assert figures.whatsapp.lost == 1  # acknowledged webhook, no whatsapp_inbound row


def test_a_message_stored_again_under_another_key_is_stored_twice() -> None:
    deliveries, messages = clean_run()
    messages.append(StoredMessage(BETO, "turn:0f3a", True))  # the retry stored without its id
    messages.append(StoredMessage("+59199999999", "turn:other", True))  # nobody of this drill: not counted

    figures = account(deliveries, truth(messages), api_key_id=KEY_ID)

    assert (figures.chat.stored_twice, figures.whatsapp.stored_twice) == (1, 0)


def test_acknowledged_without_a_reply_and_answered_twice() -> None:
    deliveries, messages = clean_run()
    deliveries.append(chat("m3", ANA, 200))
    messages.append(stored(ANA, "m3", replied=False))
    deliveries.append(whatsapp("wamid.2"))  # acknowledged, never answered
    sends = [TakenSend(23.0, f"{CALLBACK_PREFIX}1"), TakenSend(29.0, f"{CALLBACK_PREFIX}1")]

    figures = account(
        deliveries,
        truth(messages, whatsapp_inbound={"wamid.1": "answered", "wamid.2": "received"}, sends=sends),
        api_key_id=KEY_ID,
    )

    assert (figures.chat.without_reply, figures.whatsapp.without_reply) == (1, 1)
    assert figures.whatsapp.answered_twice == 1
    assert figures.whatsapp_statuses == {"answered": 1, "received": 1}


def test_bookings_beyond_the_replies_that_made_them_and_overlaps_are_double_bookings() -> None:
    deliveries, messages = clean_run()

    figures = account(
        deliveries,
        truth(messages, bookings={ANA: 2, BETO: 1}, booking_replies={ANA: 1, BETO: 1}, overlapping_appointments=1),
        api_key_id=KEY_ID,
    )

    assert figures.double_bookings == 2
    assert figures.failures() == ["double bookings: 2 (target 0)"]
