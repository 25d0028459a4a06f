"""`python -m sim [overrides]` runs a scenario (Hydra app); `python -m sim compare ...` compares
scenarios side by side (dispatched before Hydra reads the command line)."""

import sys


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "compare":
        from .compare import main as compare

        sys.exit(compare(sys.argv[2:]))
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

    from .api import load_config
    from .errors import composition_error

    try:
        load_config(args)
    except HydraException as error:
        print(composition_error(error), file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
