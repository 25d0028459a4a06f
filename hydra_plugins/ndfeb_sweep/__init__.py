"""Hydra plugins of ndfeb-sim: a sweeper that composes once per config-group choice, a launcher that
runs sweep points in a pool of worker processes, and the callback that writes the sweep table."""
