"""The command line: `python -m sim [overrides]` runs a scenario (the Hydra app);
`python -m sim compare|sweep|goalseek|explore ...` run the multi-run studies, `python -m sim world
[-m] ...` coupled runs of several regions (and their sweeps), and `python -m sim init DIR` writes a
starter set of one's own config groups (dispatched before Hydra reads the command line). The
console script `ndfeb-sim` is the same entry point."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from ..config.errors import reported

#: subcommands and the module whose main(argv) -> exit status runs each
COMMANDS = {"compare": "sim.studies.compare", "sweep": "sim.studies.sweep", "goalseek": "sim.studies.goalseek",
            "explore": "sim.studies.exploration.command", "init": "sim.cli.starter", "world": "sim.studies.world"}
#: what `-m` selects before the user's overrides (a later choice of the same group wins): the
#: project's sweeper and launcher (hydra_plugins/ndfeb_sweep) and the sweep-table callback. A single
#: run needs none of them, so it composes and runs with stock Hydra whatever the plugin's state.
MULTIRUN_DEFAULTS = ["hydra/sweeper=ndfeb", "hydra/launcher=ndfeb", "hydra/callbacks=sweep_table"]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in COMMANDS:
        with reported():
            code = importlib.import_module(COMMANDS[sys.argv[1]]).main(sys.argv[2:])
        sys.exit(code)
    args = sys.argv[1:]
    if "-m" in args or "--multirun" in args:
        sys.argv[1:] = with_multirun_defaults(args)
    _check_overrides(args)  # may rewrite sys.argv
    from .app import main as app

    app()


def with_multirun_defaults(args: list[str]) -> list[str]:
    """The command line with MULTIRUN_DEFAULTS just before the first override, so that they join
    the overrides (argparse takes one run of them) and the user's own choices come after them."""
    first = next((i for i, arg in enumerate(args) if "=" in arg or arg.startswith("~")), len(args))
    return [*args[:first], *MULTIRUN_DEFAULTS, *args[first:]]


def _check_overrides(args: list[str]) -> None:
    """Hydra rejects a misspelt key, an unknown config-group option or a YAML syntax error before the
    app runs, with a report of several lines, and a run directory it cannot create with a
    traceback; compose and validate first so that the user gets one line and exit status 2.
    Command lines with other flags than --config-dir (sweeps, --cfg, --help) keep Hydra's own handling."""
    config_dir, overrides = _config_dir(args)
    if any(arg.startswith("-") for arg in overrides):
        return
    from ..config.compose import compose_overrides, parameters
    from ..config.errors import ConfigError

    try:  # validated before Hydra makes a run directory, so bad input leaves none
        cfg, accepted = compose_overrides(overrides, config_dir=config_dir, with_hydra=True)
        parameters(cfg)
        _check_run_directory(Path(str(cfg.hydra.run.dir)))
    except ConfigError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    rewritten = dict(zip(overrides, accepted))  # documented keys absent from the YAML are set with ++
    sys.argv[1:] = [rewritten.get(arg, arg) for arg in args]


def _check_run_directory(directory: Path) -> None:
    """The run directory must be a directory that exists or can be made, and be writable."""
    from ..config.errors import ConfigError

    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError("hydra.run.dir", str(directory), f"a directory ({existing} is a file)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError("hydra.run.dir", str(directory), f"a directory this user can write ({existing} is not)")


def _config_dir(args: list[str]) -> tuple[str | None, list[str]]:
    """Hydra's `--config-dir DIR` (or `-cd DIR`, `--config-dir=DIR`) and the other arguments."""
    rest, config_dir, iterator = [], None, iter(args)
    for arg in iterator:
        if arg in ("--config-dir", "-cd"):
            config_dir = next(iterator, None)
        elif arg.startswith("--config-dir="):
            config_dir = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    return config_dir, rest
