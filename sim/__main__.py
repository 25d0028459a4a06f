"""`python -m sim`: the command line of sim.cli.main."""

from .cli.main import main

if __name__ == "__main__":
    main()
