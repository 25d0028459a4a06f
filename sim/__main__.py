"""`python -m sim [overrides]` runs a scenario (Hydra app); `python -m sim compare ...` compares
scenarios side by side (dispatched before Hydra reads the command line)."""

import sys


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "compare":
        from .compare import main as compare

        sys.exit(compare(sys.argv[2:]))
    from .app import main as app

    app()


if __name__ == "__main__":
    main()
