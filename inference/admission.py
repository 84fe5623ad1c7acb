"""Which waiting request the engine admits next, and how many prompt tokens an iteration may prefill.

Short requests are chosen first, then shortest-first, and first-come-first-served once they have
waited `max_queue_age_s`.
"""

from typing import Final

from inference.tickets import EngineLimits, Ticket

# While the queue is longer than the running batch, an iteration may prefill up to this many
# times `max_prefill_tokens` (fewer, fuller forward passes and fewer half-empty decode steps).
PREFILL_BOOST: Final = 4


def is_short(ticket: Ticket, limits: EngineLimits) -> bool:
    """Whether the request asks for at most `short_request_tokens` new tokens (a few steps)."""
    return ticket.request.params.max_new_tokens <= limits.short_request_tokens


def queue_priority(ticket: Ticket, now: float, limits: EngineLimits) -> tuple[bool, bool, int, int, float]:
    """Sort key of the queue: short requests before any other (a few steps each), then fewest
    decode steps and shortest prompt; within each of the two, requests that have waited
    `max_queue_age_s` go first, first come first served."""
    short = is_short(ticket, limits)
    if now - ticket.timeline.arrived >= limits.max_queue_age_s:
        return (not short, False, 0, 0, ticket.timeline.arrived)
    params = ticket.request.params
    return (not short, True, params.max_new_tokens, ticket.prompt_tokens, ticket.timeline.arrived)


def prefill_budget(limits: EngineLimits, *, waiting: int, running: int, protecting_short: bool) -> int:
    """Prompt tokens for this iteration: `max_prefill_tokens`, times up to PREFILL_BOOST while
    the queue is longer than the running batch (its rows' tokens can wait a little; the queue's
    first tokens can't), unless a short request is decoding."""
    base = limits.max_prefill_tokens
    if protecting_short:
        return base
    return base * max(1, min(PREFILL_BOOST, waiting // max(1, running)))
