"""Studies layer: multi-run studies on top of `run` and the writers: sweep tables, compare and
goal-seek."""
