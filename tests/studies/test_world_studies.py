"""Sweeps, compare, goal-seek and explorations of coupled runs (python -m sim world -m, compare
world=..., goalseek --region, explorations with world:): each point is the coupled run of its
overrides, the bloc is the sum over the regions' own rows, bad input names the region in the key.
Short horizons (end_year=2030) keep the coupled runs few and small."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import ConfigError
from sim.analysis.world import BLOC_METRICS, run_world
from sim.config.world import load_world
from sim.studies import compare, goalseek, sweep
from sim.studies.exploration import spec
from sim.studies.exploration.command import explore
from sim.studies.headline import headline
from sim.studies.world import Coupled
from sim.studies.world import sweep as world_sweep

SHORT = "end_year=2030"


def bloc_share(result, kpi: str, year: int) -> float:
    """A share of delivered magnets for the bloc, from each region's own KPI table: the regions'
    shares weighted by what each delivered."""
    rows = [r.kpis[r.kpis["year"] == year].iloc[0] for r in result.regions.values()]
    return sum(row[kpi] * row["delivered_t"] for row in rows) / sum(row["delivered_t"] for row in rows)


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """A sweep of two China cuts x a valid and an invalid US collection rate."""
    directory = tmp_path_factory.mktemp("sweep")
    overrides = ["world.china_pool.cut.share=0,0.5", "us.segments.ev_traction.collection_rate=0.85,2", SHORT]
    code = world_sweep(overrides, directory, workers=1)
    return directory, code, pd.read_csv(directory / "sweep.csv")


def test_a_sweep_of_coupled_runs_has_a_row_per_job_and_region_and_records_bad_points(swept):
    directory, code, frame = swept
    assert code == 1  # two points failed
    ok = frame[frame["status"] == "ok"]
    assert list(ok["job"]) == [0] * 4 + [2] * 4
    assert list(ok["region"]) == ["eu", "us", "japan", "bloc"] * 2
    failed = frame[frame["status"] == "failed"]
    assert list(failed["job"]) == [1, 3] and failed["region"].isna().all()
    assert failed["error"].str.startswith("config error: us.segments.ev_traction.collection_rate = 2").all()
    assert sweep.summary(sweep.table(directory), directory).startswith("sweep: 4 jobs, 2 ok, 2 failed")
    assert sweep.resume_command(directory)[2:5] == ["sim", "world", "-m"]


def test_a_sweep_point_is_the_coupled_run_of_its_overrides_and_the_bloc_its_regions_sum(swept):
    _, _, frame = swept
    point = frame[frame["job"] == 2].set_index("region")
    result = run_world(load_world(["world.china_pool.cut.share=0.5", "us.segments.ev_traction.collection_rate=0.85",
                                   SHORT]))
    for code, region in result.regions.items():
        expected = headline(region)
        for column in ("recycled_content", "recycled_content_post_consumer", "shortage_t"):
            assert point.loc[code, column] == pytest.approx(expected[column], rel=1e-8, abs=1e-9)
    assert point.loc["bloc", "shortage_t"] == pytest.approx(point.loc[["eu", "us", "japan"], "shortage_t"].sum())
    assert point.loc["bloc", "shortage_t"] > 0  # half of China's exports withheld from 2030
    assert point.loc["bloc", "recycled_content_post_consumer"] == pytest.approx(
        bloc_share(result, "recycled_content_post_consumer", 2030), rel=1e-8)
    no_cut = frame[frame["job"] == 0].set_index("region")
    assert no_cut.loc["bloc", "shortage_t"] == 0  # an open pool delivers what is asked


def test_compare_of_coupled_scenarios_shows_each_region_and_the_bloc(tmp_path):
    code = compare.main(["world=allied", "world.china_pool.cut.share=0,0.5", SHORT, "--out", str(tmp_path)])
    assert code == 0
    frame = pd.read_csv(tmp_path / "compare.csv").set_index("scenario")
    assert list(frame.index) == ["world.china_pool.cut.share=0", "world.china_pool.cut.share=0.5"]
    regions = frame[["eu.shortage_t_total", "us.shortage_t_total", "japan.shortage_t_total"]].sum(axis=1)
    assert frame["bloc.shortage_t_total"].to_numpy() == pytest.approx(regions.to_numpy())
    assert frame["bloc.shortage_t_total"].iloc[0] == 0 < frame["bloc.shortage_t_total"].iloc[1]
    assert "| bloc: post-consumer content, all magnets 2030 |" in (tmp_path / "compare.md").read_text()


def test_goal_seek_on_a_regional_key_finds_the_crossing_of_the_bloc_metric_a_direct_run_confirms():
    """The EU alone through the coupled mode (its bloc is the EU): post-consumer content in 2030
    rises with the EV motor liberation rate; the target is half-way between the ends of the range."""
    key, metric = "eu.segments.ev_traction.liberation_rate", "recycled_content_post_consumer"
    base = Coupled(("world=eu_only", SHORT, f"target.metric={metric}"), "bloc")

    def at(rate: float) -> float:
        kpis = base.with_values({key: rate}).kpis()
        return float(kpis.loc[kpis["year"] == 2030, metric].iloc[0])

    low, high = at(0.0), at(1.0)
    assert high > low
    share = (low + high) / 2
    seeking = base.with_values({"target.share": share})
    answer = goalseek.seek(seeking, key, 0.0, 1.0, tolerance=0.02, points=3, workers=1)
    assert answer.reachable and answer.monotone and answer.metric == metric
    assert at(answer.value) >= share > at(answer.value - 0.02)
    assert answer.intervals[0][1] == 1.0


def test_goal_seek_of_the_bloc_has_every_target_metric_and_needs_a_known_region():
    """The bloc has every recycled content a target can name (its shares are of its summed masses)."""
    assert {"recycled_content", "recycled_content_post_consumer", "recycled_content_target_scope",
            "recycled_content_region_made"} <= set(BLOC_METRICS)
    with pytest.raises(ConfigError, match="^config error: region = 'us': expected a region of the run"):
        Coupled(("world=eu_only",), "us").params()


def test_goal_seek_over_a_bad_regional_value_names_the_region_in_the_key():
    base = Coupled(("world=allied", SHORT, "target.share=0.1"), "us")
    with pytest.raises(ConfigError) as error:
        goalseek.seek(base, "us.segments.ev_traction.collection_rate", 1.5, 2.0, points=2, workers=1)
    assert error.value.key == "us.segments.ev_traction.collection_rate"


EXPLORATION = {"world": "eu_only", "overrides": [SHORT], "n": 2, "seed": 1,
               "uncertainties": {"eu.segments.ev_traction.liberation_rate":
                                 {"distribution": "discrete", "values": [0.1, 0.9], "source": "test"}},
               "outcomes": {"bloc_2030": {"kpi": "recycled_content_post_consumer", "year": 2030},
                            "eu_2030": {"kpi": "recycled_content_post_consumer", "year": 2030, "region": "eu"}}}


def test_a_coupled_exploration_reads_each_outcome_from_its_region_of_the_coupled_run(tmp_path):
    out = explore(spec.validate(EXPLORATION, "coupled"), out=tmp_path / "x", workers=1)
    experiments = pd.read_parquet(out / "experiments.parquet")
    outcomes = pd.read_parquet(out / "outcomes.parquet")
    assert (outcomes["status"] == "ok").all()
    assert sorted(experiments["eu.segments.ev_traction.liberation_rate"]) == [0.1, 0.9]
    # the EU alone: the bloc is the EU
    assert outcomes["bloc_2030"].to_numpy() == pytest.approx(outcomes["eu_2030"].to_numpy(), rel=1e-12)
    rate = float(experiments["eu.segments.ev_traction.liberation_rate"].iloc[0])
    kpis = Coupled(("world=eu_only", SHORT, f"eu.segments.ev_traction.liberation_rate={rate}")).kpis()
    assert outcomes["bloc_2030"].iloc[0] == pytest.approx(
        float(kpis.loc[kpis["year"] == 2030, "recycled_content_post_consumer"].iloc[0]), rel=1e-12)
    # the first outcome is the bloc's, which has no binding constraint: the findings name none (a
    # column of none reads back from Parquet as missing values), nor does the archive
    assert outcomes["binding_constraint"].isna().all() and not outcomes["target_met"].any()
    bullet = next(line for line in (out / "discovery.md").read_text().splitlines() if line.startswith("- 25 %"))
    assert bullet.endswith("; in none.")
    from sim.studies.exploration.ema import workbench
    _, archived = workbench().load_results(str(out / "results.tar.gz"))
    assert pd.isna(archived["binding_constraint"]).all()


@pytest.mark.parametrize("changes, key", [
    ({"world": None}, "outcomes.eu_2030.region"),  # a region outside a coupled exploration
    ({"outcomes": {"x": {"kpi": "shortage_t", "year": 2030, "region": "us"}}}, "outcomes.x.region"),
    ({"outcomes": {"x": {"kpi": "magnet_making_utilisation", "year": 2030}}}, "outcomes.x.kpi"),
])
def test_a_bad_coupled_exploration_is_a_one_line_error_naming_its_key(changes, key, tmp_path):
    explored = {**EXPLORATION, **changes}
    explored = {k: v for k, v in explored.items() if v is not None}
    with pytest.raises(ConfigError) as error:
        explore(spec.validate(explored, "coupled"), out=tmp_path / "x", workers=1)
    assert error.value.key == key
    assert "\n" not in str(error.value)
