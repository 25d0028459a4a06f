"""Command-line layer: the Hydra app and the command-line entry points."""
