"""Report layer: the summary, figures and the writers of a run's output directory."""
