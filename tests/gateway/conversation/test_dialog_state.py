"""DialogState.but and Wishes.but: one typed keyword per field, so mypy checks every transition."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, date, datetime, time

from pydantic import BaseModel

from gateway.conversation.state import DialogState, Flow, Step, Wishes


def keywords(but: Callable[..., BaseModel]) -> set[str]:
    parameters = inspect.signature(but).parameters.values()
    return {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


def test_every_field_has_a_keyword_and_nothing_else_does() -> None:
    assert keywords(DialogState.but) == set(DialogState.model_fields)
    assert keywords(Wishes.but) == set(Wishes.model_fields)


def test_a_field_not_given_is_kept_and_none_is_a_value() -> None:
    at = datetime(2026, 12, 2, 9, tzinfo=UTC)
    state = DialogState(flow=Flow.BOOK, step=Step.CODE, search_after=at, feeling_low=True)

    changed = state.but(step=None, identity_failures=2)

    assert changed == DialogState(flow=Flow.BOOK, step=None, search_after=at, feeling_low=True, identity_failures=2)
    assert state.step is Step.CODE  # the original is untouched


def test_wishes_change_only_what_is_given() -> None:
    wishes = Wishes(specialty="pediatria", day=date(2026, 12, 3), clock=time(10))

    assert wishes.but(clock=None, time_of_day="morning") == Wishes(
        specialty="pediatria", day=date(2026, 12, 3), time_of_day="morning"
    )
    assert wishes.but() == wishes
