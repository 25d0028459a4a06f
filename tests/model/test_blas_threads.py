"""A replication runs with one BLAS thread (its matrices are small: threads only spin) and leaves
the caller's thread setting as it found it."""

from __future__ import annotations

from threadpoolctl import ThreadpoolController

import sim
from sim.model.market import Market


def _blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in ThreadpoolController().info() if pool["user_api"] == "blas"}


def test_blas_runs_one_thread_during_a_run_and_is_restored_after(monkeypatch):
    controller = ThreadpoolController()
    seen = []
    deliver = Market.deliver

    def watched(self, *args):
        if not seen:
            seen.append(_blas_threads())
        return deliver(self, *args)

    monkeypatch.setattr(Market, "deliver", watched)
    with controller.limit(limits=2, user_api="blas"):  # as on a 2-core machine, whatever this one has
        before = _blas_threads()
        sim.run(sim.load_config(["end_year=2030"]), workers=1)
        after = _blas_threads()
    assert before == {2}
    assert seen == [{1}]
    assert after == before
