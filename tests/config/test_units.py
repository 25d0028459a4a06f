"""Quantities read at the config boundary: a number and a plain unit is read without pint's parser
(units.magnitude), and gives what pint gives for the whole text, to the last bit."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.config import units

UNITS = ("kg", "t", "kt", "g", "yr", "year", "h", "d", "month", "t/yr", "kt/yr", "kg / yr", "t/a", "m", "e")
TEXTS = ("1.5 kg", "100 t/yr", "8 h", "1e3 kg", "2.5 kt", "1 t / yr", "0.5kg", "-3 kg", ".5 t", "1 kg * 3",
         "5 yr - 1 yr", "10 m", "abc", "1.5", "3 kg/yr/yr", "1,000 kg", "1_000 kg", "nan kg", "inf kg", "1e999 kg",
         "100 t per yr", "1 kg/yr * yr", "7 d")


def by_pint(text: str, unit: str) -> float | None:
    """What pint makes of the whole text (None where magnitude() refuses it)."""
    try:
        quantity = units.ureg.Quantity(text)
        if not isinstance(quantity, units.ureg.Quantity):
            return None
        number = float(quantity.to(unit).magnitude)
    except Exception:
        return None
    return number if math.isfinite(number) else None


@pytest.mark.parametrize("unit", units.CANONICAL.values())
@pytest.mark.parametrize("text", TEXTS)
def test_a_quantity_is_read_as_pint_reads_it(text, unit):
    assert units.magnitude(text, unit) == by_pint(text, unit)


@given(number=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), unit_text=st.sampled_from(UNITS),
       space=st.sampled_from(["", " ", "  "]), unit=st.sampled_from(list(units.CANONICAL.values())))
def test_sampled_numbers_with_units_read_as_pint_reads_them(number, unit_text, space, unit):
    text = f"{number!r}{space}{unit_text}"
    assert units.magnitude(text, unit) == by_pint(text, unit)
