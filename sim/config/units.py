"""The project's one pint registry, used at the config boundary and for output labels only."""

from __future__ import annotations

import math
import re
from functools import lru_cache

import pint

from .errors import ConfigError

# pint reads "kt" as knots; in this domain kt is a kilotonne. The registry lets a definition replace
# an existing symbol silently (on_redefinition="ignore" silences the notice, the new one wins), so
# "kt" is redefined before anything parses, through public API only.
ureg = pint.UnitRegistry(cache_folder=":auto:", on_redefinition="ignore")
ureg.define("kilotonne = 1000 * tonne = kt")

#: Canonical units of the event loop: masses in kg, times in years.
CANONICAL = {"kg": "kg", "yr": "year", "kg/yr": "kg / year"}

_EXAMPLES = {"kg": "'1.5 kg'", "yr": "'12 yr'", "kg/yr": "'100 t/yr'"}
_NAMES = {"kg": "a mass", "yr": "a time", "kg/yr": "a mass per time"}


#: a number and a plain unit ("1.5 kg", "100 t/yr"): the form explorations write sampled values in
_NUMBER_AND_UNIT = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*"
                              r"([A-Za-z_]+(?:\s*[*/]\s*[A-Za-z_]+)*)\s*")


@lru_cache(maxsize=4096)
def magnitude(text: str, unit: str) -> float | None:
    """`text` (e.g. "1.5 kt") expressed in `unit` (a pint unit string), or None when it is not a
    finite quantity of that dimension. Cached: sweeps parse the same strings thousands of times.
    A number and a plain unit is the number times the unit's factor (pint's own arithmetic, found
    once per unit), so each future of an exploration, whose sampled values are new strings, does
    not pay pint's parser (about half a millisecond a string)."""
    plain = _NUMBER_AND_UNIT.fullmatch(text)
    if plain is not None:
        factor = _factor(plain.group(2), unit)
        if factor is not None:
            number = float(plain.group(1)) * factor
            return number if math.isfinite(number) else None
    try:
        quantity = ureg.Quantity(text)
        if not isinstance(quantity, ureg.Quantity):  # a bare number inside a string
            return None
        number = float(quantity.to(unit).magnitude)
    except Exception:  # unparsable text or another dimension
        return None
    return number if math.isfinite(number) else None


@lru_cache(maxsize=256)
def _factor(unit_text: str, unit: str) -> float | None:
    """One `unit_text` (e.g. "t/yr") in `unit`, or None when it is not a unit of that dimension."""
    try:
        return float(ureg.Quantity(1.0, unit_text).to(unit).magnitude)
    except Exception:  # not a unit, or another dimension
        return None


def parse_quantity(key: str, value, unit: str) -> float:
    """Return `value` (a string with units such as "1.5 kg") in the canonical `unit` (a key of
    CANONICAL) as a plain float; raise a ConfigError naming `key` otherwise."""
    number = magnitude(value, CANONICAL[unit]) if isinstance(value, str) else None
    if number is None:
        raise ConfigError(key, value, f"{_NAMES[unit]} with units, e.g. {_EXAMPLES[unit]}")
    return number
