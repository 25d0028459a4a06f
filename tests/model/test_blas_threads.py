"""A replication, and a coupled run's lockstep, run with one BLAS thread (their matrices are small:
threads only spin) and leave the caller's thread setting as they found it."""

from __future__ import annotations

import pytest
from threadpoolctl import ThreadpoolController

import sim
from sim.analysis.world import run_world
from sim.config.world import load_world
from sim.model.market import Market


def _blas_threads(controller: ThreadpoolController) -> set[int]:
    return {pool["num_threads"] for pool in controller.info() if pool["user_api"] == "blas"}


@pytest.mark.parametrize("run", [
    lambda: sim.run(sim.load_config(["end_year=2030"]), workers=1),
    lambda: run_world(load_world(["end_year=2030"])),  # the regions' steps are run by the coupled driver
], ids=["one region", "coupled"])
def test_blas_runs_one_thread_during_a_run_and_is_restored_after(monkeypatch, run):
    controller = ThreadpoolController()
    seen = []
    deliver = Market.deliver

    def watched(self, *args):
        seen.append(_blas_threads(controller))
        return deliver(self, *args)

    monkeypatch.setattr(Market, "deliver", watched)
    with controller.limit(limits=2, user_api="blas"):  # as on a 2-core machine, whatever this one has
        before = _blas_threads(controller)
        run()
        after = _blas_threads(controller)
    assert before == {2}
    assert seen and all(threads == {1} for threads in seen)  # at every step of every region
    assert after == before
