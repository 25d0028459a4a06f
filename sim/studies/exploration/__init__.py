"""Exploratory analysis under deep uncertainty: a spec of uncertainties, levers and outcomes
(conf/explore/), sampled futures, runs of every future under every lever, and their analysis."""
