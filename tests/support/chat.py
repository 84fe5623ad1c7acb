"""A patient typing on WhatsApp, as the attack and flow tests script them through POST /chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.gateway.verification.fake_sms import FakeSmsServer


@dataclass
class ChatPatient:
    """Someone who claims `phone` through the chat key `api_key`; `say` posts to /chat and returns the JSON answer."""

    client: httpx.AsyncClient
    api_key: str
    phone: str
    sms: FakeSmsServer
    replies: list[dict[str, Any]] = field(default_factory=list)

    async def say(self, text: str) -> dict[str, Any]:
        answer = await self.client.post(
            "/chat",
            json={"messages": [{"role": "user", "content": text}], "user_id": self.phone},
            headers={"X-API-Key": self.api_key},
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        self.replies.append(body)
        return body

    def codes(self) -> list[str]:
        """Every code texted to this phone so far, oldest first."""
        return [c for r in self.sms.received if r.body["to"] == self.phone for c in sms_codes(r.body["text"])]

    def last_code(self) -> str:
        codes = self.codes()
        assert codes, "no code was texted to this phone"
        return codes[-1]

    async def verify(self, first_message: str, identity_answer: str) -> dict[str, Any]:
        """Say `first_message`, answer the identity question and the SMS code; the answer after them."""
        asked = await self.say(first_message)
        assert asked["action"] == "verification_required", asked
        sent = await self.say(identity_answer)
        assert sent["action"] == "verification_required", sent
        assert "código" in sent["response"], sent
        verified = await self.say(self.last_code())
        assert verified["verified"] is True, verified
        return verified


def sms_codes(text: str) -> list[str]:
    """The six-digit codes in an SMS text."""
    return [word for word in text.replace(".", " ").split() if word.isdigit() and len(word) == 6]
