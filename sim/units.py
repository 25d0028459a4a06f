"""The project's one pint registry, used at the config boundary and for output labels only."""

from __future__ import annotations

import math
import numbers

import pint

from .errors import ConfigError

ureg = pint.UnitRegistry(cache_folder=":auto:")
# pint reads "kt" as knots; in this domain kt is a kilotonne. Redefine it before anything parses.
ureg._units.pop("kt", None)
ureg._units_casei.pop("kt", None)
ureg.define("kilotonne = 1000 * tonne = kt")

#: Canonical units of the event loop: masses in kg, times in years.
CANONICAL = {
    "kg": ureg.kilogram,
    "yr": ureg.year,
    "kg/yr": ureg.kilogram / ureg.year,
    "1/yr": 1 / ureg.year,
}

_EXAMPLES = {"kg": "'1.5 kg'", "yr": "'12 yr'", "kg/yr": "'100 t/yr'", "1/yr": "a number"}
_NAMES = {"kg": "a mass", "yr": "a time", "kg/yr": "a mass per time", "1/yr": "a rate"}


def parse_quantity(key: str, value, unit: str, allow_bare_number: bool = False) -> float:
    """Return `value` in the canonical `unit` as a plain float.

    key : config key, for the error message
    value : a string with units such as "1.5 kg", or a bare number when `allow_bare_number`
    unit : one of CANONICAL's keys
    """
    expected = f"{_NAMES[unit]} with units, e.g. {_EXAMPLES[unit]}"
    if isinstance(value, bool):
        raise ConfigError(key, value, expected)
    if isinstance(value, numbers.Real):
        if allow_bare_number:
            return float(value)
        raise ConfigError(key, value, expected)
    if not isinstance(value, str):
        raise ConfigError(key, value, expected)
    try:
        quantity = ureg.Quantity(value)
    except Exception:
        raise ConfigError(key, value, expected) from None
    if not isinstance(quantity, ureg.Quantity):  # a bare number inside a string
        raise ConfigError(key, value, expected)
    try:
        number = float(quantity.to(CANONICAL[unit]).magnitude)
    except pint.DimensionalityError:
        raise ConfigError(key, value, expected) from None
    if not math.isfinite(number):
        raise ConfigError(key, value, expected)
    return number
