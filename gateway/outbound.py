"""One POST to an outside send API (the SMS provider, the Graph API), its failure sorted for retries and breakers.

A message must never reach a patient twice because we retried a send the provider may already have taken,
and neither API has an idempotency key. So a failed send is retried at once only when the provider cannot
have taken the message: no connection was made, or it answered 500 or 503. Once the request has gone out,
a timeout, a dropped connection, or a 502/504 from a proxy that lost its upstream may mean it was sent:
that counts against the provider's breaker but is not retried. A 4xx is our request's fault (or a rate
limit): never retried, never counted against the provider.
"""

from __future__ import annotations

from typing import Any

import httpx

from gateway.resilience import DependencyUnavailable

# The request never left: the connection was not made (or no pooled one was free).
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# A proxy in front of the provider lost its upstream, which may have acted on the request already.
_PROXY_LOST_UPSTREAM = frozenset({502, 504})


class SendFailed(Exception):
    """One attempt at a send failed; what it tells about the provider and about the message."""

    def __init__(
        self, reason: str, *, status: int | None = None, body: str = "", maybe_delivered: bool, provider_fault: bool
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        # The start of the provider's answer; it may name the recipient, so it is not put in `reason`.
        self.body = body
        # The provider may have taken the message: sending it again could deliver it twice.
        self.maybe_delivered = maybe_delivered
        # The provider is down, slow or failing (counts against its breaker); False for our own bad requests.
        self.provider_fault = provider_fault

    @property
    def safe_to_retry(self) -> bool:
        """Sending again now can help and cannot deliver the message twice."""
        return self.provider_fault and not self.maybe_delivered


def counts_against_provider(exc: BaseException) -> bool:
    """For a Guard's `is_failure`: the provider's fault (down, slow, 5xx), not our request's."""
    return isinstance(exc, SendFailed) and exc.provider_fault


def safe_to_retry(exc: BaseException) -> bool:
    """For a Guard's `retry_if`: sending again cannot deliver the message twice."""
    return isinstance(exc, SendFailed) and exc.safe_to_retry


def failure_behind(exc: BaseException) -> SendFailed | None:
    """The failed attempt behind a guard's DependencyUnavailable (retries used up, or the attempt that
    tripped its breaker); None when the guard refused without trying."""
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, SendFailed):
            return cause
        cause = cause.__cause__
    return None


def guard_note(exc: DependencyUnavailable) -> str:
    """Why the guard gave up after a failed attempt, for an error message."""
    return "its breaker is now open" if exc.reason == "circuit open" else "every attempt failed"


async def post(
    client: httpx.AsyncClient, url: str, *, json: Any, headers: dict[str, str], seconds: float
) -> httpx.Response:
    """POST once, waiting at most `seconds` at each step; the 2xx response, or SendFailed saying what happened."""
    try:
        response = await client.post(url, json=json, headers=headers, timeout=seconds)
    except _NOT_SENT as exc:
        raise SendFailed(f"unreachable: {type(exc).__name__}", maybe_delivered=False, provider_fault=True) from exc
    except httpx.HTTPError as exc:
        # The request went out (or may have): a lost answer is not a lost message.
        raise SendFailed(f"unreachable: {type(exc).__name__}", maybe_delivered=True, provider_fault=True) from exc
    status = response.status_code
    if response.is_success:
        return response
    reason, body = f"answered {status}", response.text[:300]
    if status >= 500:
        lost = status in _PROXY_LOST_UPSTREAM
        raise SendFailed(reason, status=status, body=body, maybe_delivered=lost, provider_fault=True)
    raise SendFailed(reason, status=status, body=body, maybe_delivered=False, provider_fault=False)
