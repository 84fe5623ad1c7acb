"""What registration reads from its answers: a full name, a carnet number in the form the clinic stores."""

from __future__ import annotations

import pytest

from gateway.understanding.documents import parse_document
from gateway.understanding.names import parse_full_name


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("6234871", "6234871"),
        ("6.234.871 lp", "6234871 LP"),
        ("6,234,871 Cbba", "6234871 CB"),
        ("6 234 871 cb", "6234871 CB"),
        ("6234871lp", "6234871 LP"),
        ("6234871-LP", "6234871 LP"),
        ("6234871 scz", "6234871 SC"),
        ("6234871 Potosí", "6234871 PT"),
        ("6234871 sucre", "6234871 CH"),
        ("nro 6234871 tja", "6234871 TJ"),
        ("6234871 Beni", "6234871 BE"),
        ("6234871 pando", "6234871 PD"),
        ("6234871 oruro", "6234871 OR"),
        ("6234871-1A", "6234871-1A"),
        ("6234871 - 1a LP", "6234871-1A LP"),
        ("6234871 1A LPZ", "6234871-1A LP"),
        ("C.I. 6.234.871 L.P.", "6234871 LP"),
        ("mi carnet es 6234871 expedido en La Paz", "6234871 LP"),
        ("12345", "12345"),
        ("1234567890 SC", "1234567890 SC"),
    ],
)
def test_a_carnet_is_read_in_its_common_forms(typed: str, stored: str) -> None:
    assert parse_document(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["", "1234", "12345678901", "6234871 XY", "6234871 1234", "6.23.871", "Mamani", "no tengo", "6234871 lp lp"],
)
def test_what_is_no_carnet_is_not_read_as_one(typed: str) -> None:
    assert parse_document(typed) is None


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("rosa mamani", "Rosa Mamani"),
        ("  Rosa   Mamani  ", "Rosa Mamani"),
        ("me llamo Rosa Mamani.", "Rosa Mamani"),
        ("Hola, soy Pedro Condori", "Pedro Condori"),
        ("Mi nombre completo es ana mamani quispe", "Ana Mamani Quispe"),
        ("nombre: Juan Pérez", "Juan Pérez"),
        ("María José Pérez-Quispe", "María José Pérez-Quispe"),
    ],
)
def test_a_full_name_is_read_without_what_was_said_before_it(typed: str, name: str) -> None:
    assert parse_full_name(typed) == name


@pytest.mark.parametrize(
    "typed", ["Mamani", "me llamo Rosa", "12345", "Rosa Mamani, 45 años", "x" * 50 + " " + "y" * 40]
)
def test_what_is_no_full_name_is_not_read_as_one(typed: str) -> None:
    assert parse_full_name(typed) is None
