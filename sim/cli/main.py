"""The command line: `python -m sim [overrides]` runs a scenario (the Hydra app);
`python -m sim compare|sweep|goalseek ...` run the multi-run studies (dispatched before Hydra reads
the command line). The console script `ndfeb-sim` is the same entry point."""

from __future__ import annotations

import importlib
import sys

#: subcommands and the module whose main(argv) -> exit status runs each
COMMANDS = {"compare": "sim.studies.compare", "sweep": "sim.studies.sweep", "goalseek": "sim.studies.goalseek"}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in COMMANDS:
        sys.exit(importlib.import_module(COMMANDS[sys.argv[1]]).main(sys.argv[2:]))
    _check_overrides(sys.argv[1:])
    from .app import main as app

    app()


def _check_overrides(args: list[str]) -> None:
    """Hydra rejects a misspelt key or an unknown config-group option before the app runs, with a
    report of several lines; compose first so that the user gets one line and exit status 2.
    Command lines with flags (sweeps, --cfg, --help) keep Hydra's own handling."""
    if any(arg.startswith("-") for arg in args):
        return
    from hydra.errors import HydraException

    from ..config.compose import load_config
    from ..config.errors import composition_error

    try:
        load_config(args)
    except HydraException as error:
        print(composition_error(error), file=sys.stderr)
        sys.exit(2)
