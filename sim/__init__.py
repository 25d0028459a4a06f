"""Simulator of recycled NdFeB magnet flows: installed base, end of life, collection, dismantling,
hydrogen processing of magnet scrap, re-sintering, and the recycled content of new magnets."""

from .api import load_config, parameters, run
from .balance import MassBalanceError
from .errors import ConfigError
from .results import Result

__all__ = ["load_config", "parameters", "run", "Result", "ConfigError", "MassBalanceError"]
