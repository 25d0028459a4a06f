"""Simulator of recycled NdFeB magnet flows: installed base, end of life, collection, dismantling,
hydrogen processing of magnet scrap, re-sintering, and the recycled content of new magnets."""

from .analysis.results import Result
from .analysis.runner import run
from .config.compose import load_config, parameters
from .config.errors import ConfigError
from .model.balance import MassBalanceError

__all__ = ["load_config", "parameters", "run", "Result", "ConfigError", "MassBalanceError"]
