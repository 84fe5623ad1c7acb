"""The DialoGPT prompt: turns joined by EOS, oldest turns dropped to fit, tail kept when one is too long."""

from __future__ import annotations

import pytest

from inference.model import LoadedModel, build_prompt


def encode(model: LoadedModel, text: str) -> list[int]:
    return list(model.tokenizer.encode(text, add_special_tokens=False))


def test_each_turn_is_followed_by_eos_and_the_prompt_ends_with_eos(loaded_tiny_model: LoadedModel) -> None:
    model = loaded_tiny_model
    eos = model.eos_token_id
    turns = ["Hola, quisiera una cita.", "¿Para qué día?", "Mañana a las diez."]

    prompt = build_prompt(model.tokenizer, turns, max_prompt_tokens=100)

    expected = [token for text in turns for token in [*encode(model, text), eos]]
    assert prompt.token_ids == expected
    assert prompt.token_ids[-1] == eos
    assert prompt.dropped_turns == 0
    assert not prompt.truncated_last_turn
    assert model.tokenizer.decode(prompt.token_ids) == "<|endoftext|>".join(turns) + "<|endoftext|>"


def test_oldest_whole_turns_are_dropped_until_the_prompt_fits(loaded_tiny_model: LoadedModel) -> None:
    model = loaded_tiny_model
    eos = model.eos_token_id
    turns = ["Buenos días, doctor.", "Buenos días.", "Necesito una receta.", "¿Para qué medicamento?"]
    sizes = [len(encode(model, t)) + 1 for t in turns]
    budget = sizes[2] + sizes[3] + sizes[1] - 1  # the last two fit, the last three do not

    prompt = build_prompt(model.tokenizer, turns, max_prompt_tokens=budget)

    assert prompt.dropped_turns == 2
    assert prompt.token_ids == [*encode(model, turns[2]), eos, *encode(model, turns[3]), eos]
    assert not prompt.truncated_last_turn


def test_a_last_turn_longer_than_the_budget_keeps_its_tail(loaded_tiny_model: LoadedModel) -> None:
    model = loaded_tiny_model
    long_turn = "Quiero saber los horarios de atención de la clínica para la próxima semana, por favor."
    ids = [*encode(model, long_turn), model.eos_token_id]
    assert len(ids) > 8

    prompt = build_prompt(model.tokenizer, ["Hola.", "Hola, ¿en qué le ayudo?", long_turn], max_prompt_tokens=8)

    assert prompt.token_ids == ids[-8:]
    assert prompt.token_ids[-1] == model.eos_token_id
    assert prompt.dropped_turns == 2
    assert prompt.truncated_last_turn


@pytest.mark.parametrize(("turns", "budget"), [([], 10), (["Hola"], 0)])
def test_impossible_prompts_are_refused(loaded_tiny_model: LoadedModel, turns: list[str], budget: int) -> None:
    with pytest.raises(ValueError):
        build_prompt(loaded_tiny_model.tokenizer, turns, max_prompt_tokens=budget)
