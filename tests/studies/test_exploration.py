"""Explorations on a scenario whose answer is known by hand: one target-scope segment whose end of
life equals demand every year, one long-loop plant. Recycled content is then
min(collection x liberation x 1000 t, capacity) x yield / 1000 t, so the target is met exactly in
the box collection >= share / (liberation x yield) and capacity scale >= share / yield."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim import ConfigError
from sim.config.compose import CONFIG_DIR, with_values
from sim.studies.exploration import discovery, evaluation, sampling, sensitivity, spec
from sim.studies.exploration.command import explore
from sim.studies.world import Coupled

SHARE, LIBERATION, YIELD = 0.25, 0.6, 0.8


def steady(capacity="1000 t/yr") -> dict:
    """1,000 t/yr of magnets placed for ever with a fixed 10-year life: 1,000 t/yr reach end of life.
    The magnets are all rare earth and metal and magnet making lose nothing, so what the long loop
    separates is what enters new magnets."""
    return {
        "start_year": 2025, "end_year": 2030, "history_start": 2014, "mode": "expected", "seed": 7,
        "segments": {"motors": {"placed_on_market": 1_000_000, "magnet_per_unit": "1 kg",
                                "lifetime": {"distribution": "fixed", "mean": "10 yr"},
                                "collection_rate": 0.5, "liberation_rate": LIBERATION, "in_target_scope": True,
                                "composition": {"Nd": 1.0, "Pr": 0.0, "Dy": 0.0, "Tb": 0.0, "B": 0.0, "FeCo": 0.0}}},
        "industry": {"magnet_making": {"capacity": "10000 t/yr", "swarf_share": 0.0, "loss_share": 0.0},
                     "metal_alloy_making": {"capacity": "10000 t/yr", "yield": 1.0}},
        "plants": {"long_loop": {"route": "long_loop", "capacity": capacity,
                                 "accepts": ["short_loop", "long_loop_only"], "yield": YIELD}},
        "target": {"share": SHARE, "year": 2030, "metric": "recycled_content_target_scope"},
        "output": {"figures": False, "sankey_year": 2030},
    }


def exploration(uncertainties: dict, levers: dict | None = None) -> spec.Exploration:
    return spec.validate({"uncertainties": {key: {**value, "source": "test"} for key, value in uncertainties.items()},
                          "levers": levers or {"base": []},
                          "outcomes": {"content": {"kpi": "recycled_content_target_scope", "year": 2030}}}, "test")


COLLECTION = {"distribution": "uniform", "low": 0.0, "high": 1.0}
#: keys of stochastic mode only: no effect on an expected run
NO_EFFECT = {"plants.long_loop.cycle_time_cv": {"distribution": "uniform", "low": 0.0, "high": 0.5},
             "industry.magnet_making.yield_sd": {"distribution": "triangular", "low": 0.0, "mode": 0.02, "high": 0.1}}


def run(explored: spec.Exploration, n: int, sampler: str, tmp_path, base=None, workers=1, seed=1):
    unit = sampling.unit_sample(explored, n, sampler, seed)
    experiments = sampling.experiments(explored, unit, 7)
    bases = evaluation.base_configs(explored, experiments, base=base or steady("100000 t/yr"))
    outcomes = evaluation.run_all(explored, experiments, bases, tmp_path / f"outcomes-{workers}.parquet", workers)
    return unit, experiments, outcomes


def test_the_one_uncertainty_that_acts_has_total_sobol_index_near_one_the_others_zero(tmp_path):
    """Capacity never binds, so content = collection x 0.6 x 0.8: linear in collection alone."""
    explored = exploration({"segments.motors.collection_rate": COLLECTION, **NO_EFFECT})
    unit, experiments, outcomes = run(explored, 32, "sobol", tmp_path)

    table, _ = sensitivity.indices(explored, unit, experiments, outcomes, "sobol", seed=1)

    assert outcomes["content"].max() == pytest.approx(LIBERATION * YIELD, rel=1e-3, abs=0.01)
    st = table.set_index("uncertainty")["ST"]
    assert st["segments.motors.collection_rate"] == pytest.approx(1.0, abs=0.1)
    assert st[list(NO_EFFECT)].abs().max() < 0.05
    assert list(table.columns) == ["lever", "outcome", "uncertainty", "S1", "S1_conf", "ST", "ST_conf"]


@pytest.mark.parametrize("n", [150, 301, 1000])
def test_rbd_fast_indices_are_salibs(n):
    """The batched RBD-FAST gives SALib's indices and bootstrap intervals (same random stream),
    for odd and even sample sizes; an input the outcome does not depend on gets an index near 0."""
    from SALib.analyze import rbd_fast
    rng = np.random.default_rng(n)
    unit = rng.random((n, 4))
    y = np.sin(6 * unit[:, 0]) + unit[:, 1] ** 2 + 0.05 * rng.random(n)
    spec = {"num_vars": 4, "names": list("abcd"), "bounds": [[0.0, 1.0]] * 4}
    expected = rbd_fast.analyze(spec, unit, y, num_resamples=sensitivity.RESAMPLES, seed=11)
    found = sensitivity.rbd_fast(unit, y, sensitivity.RESAMPLES, 11)
    assert found["S1"] == pytest.approx(list(expected["S1"]), abs=1e-12)
    assert found["S1_conf"] == pytest.approx(list(expected["S1_conf"]), abs=1e-12)
    assert abs(found["S1"][3]) < 0.1 < found["S1"][0]


def test_prim_finds_the_box_of_collection_and_capacity_that_meets_the_target(tmp_path):
    explored = exploration({"segments.motors.collection_rate": COLLECTION,
                            "plant_schedules.scale": {"distribution": "uniform", "low": 0.0, "high": 1.0},
                            "industry.magnet_making.yield_sd": NO_EFFECT["industry.magnet_making.yield_sd"]})
    _, experiments, outcomes = run(explored, 200, "lhs", tmp_path, base=steady("1000 t/yr"), workers=2)

    box = next(b for b in discovery.boxes(explored, experiments, outcomes) if b.question == "target met")

    limits = {key: (low, high) for key, low, high in box.limits}
    assert set(limits) == {"segments.motors.collection_rate", "plant_schedules.scale"}
    assert limits["segments.motors.collection_rate"][0] == pytest.approx(SHARE / (LIBERATION * YIELD), abs=0.05)
    assert limits["plant_schedules.scale"][0] == pytest.approx(SHARE / YIELD, abs=0.05)
    assert limits["segments.motors.collection_rate"][1] is None and limits["plant_schedules.scale"][1] is None
    assert box.density > 0.9 and box.coverage > 0.9


def test_same_seed_same_experiments_and_outcomes_whatever_the_number_of_workers(tmp_path):
    explored = exploration({"segments.motors.collection_rate": COLLECTION, **NO_EFFECT},
                           levers={"low": ["segments.motors.liberation_rate=0.3"], "high": []})
    one = run(explored, 40, "lhs", tmp_path, workers=1, seed=5)
    two = run(explored, 40, "lhs", tmp_path, workers=2, seed=5)

    pd.testing.assert_frame_equal(one[1], two[1])
    pd.testing.assert_frame_equal(one[2], two[2])
    assert len(one[2]) == 80 and (one[2]["status"] == "ok").all()
    assert one[2]["content"].nunique() > 40  # the futures differ


def test_an_exploration_writes_its_tables_analyses_and_an_archive_ema_workbench_reads(tmp_path):
    from sim.studies.exploration.ema import workbench

    explored = exploration({"segments.motors.collection_rate": COLLECTION,
                            "plant_schedules.shift": {"distribution": "discrete", "values": [0, 3, 10]}},
                           levers={"low": ["segments.motors.liberation_rate=0.3"], "high": []})

    opens_2025 = steady({2024: "0 t/yr", 2025: "1000 t/yr"})
    out = explore(explored, n=12, sampler="lhs", seed=2, base=opens_2025, out=tmp_path / "x", workers=1)

    experiments, outcomes = (pd.read_parquet(out / f"{name}.parquet") for name in ("experiments", "outcomes"))
    assert len(experiments) == len(outcomes) == 24 and list(experiments["lever"][:2]) == ["low", "high"]
    ema_experiments, ema_outcomes = workbench().load_results(str(out / "results.tar.gz"))
    assert list(ema_experiments["policy"][:2]) == ["low", "high"]
    assert ema_outcomes["content"] == pytest.approx(outcomes["content"].to_numpy())
    # a plant moved ten years later opens in 2035: nothing is recycled by 2030
    shut = experiments["plant_schedules.shift"] == 10
    assert (outcomes.loc[shut, "content"] == 0).all() and (outcomes.loc[~shut, "content"] > 0).any()
    robustness = pd.read_csv(out / "robustness.csv")
    high = robustness[robustness["lever"] == "high"].iloc[0]
    assert high["max_regret"] == 0  # more liberation is never worse here
    text = (out / "discovery.md").read_text()
    assert "of futures under `low`" in text and "`plant_schedules.shift`" in text
    # shares read in %, the regret in percentage points: the median and the worst shortfall of `low`
    # against `high` in the same future, from the outcomes themselves
    content = experiments[["future", "lever"]].assign(content=outcomes["content"]).pivot(
        index="future", columns="lever", values="content")
    median, worst = np.percentile(content["low"], 50), (content["high"] - content["low"]).max()
    assert f"P50 {100 * median:.3g} %" in text
    row = next(line for line in text.splitlines() if line.startswith("| low | content |")).split(" | ")
    assert row[4] == f"{100 * median:.3g} %" and row[6] == f"{100 * worst:.3g} pp |"
    assert not (tmp_path / "x.partial").exists()


@pytest.mark.parametrize("changes, key, expected", [
    ({"uncertainties": {"s": {"distribution": "uniform", "low": 0, "high": 1, "source": "s",
                              "sets": {"a.b": {"times": "x"}}}}}, "uncertainties.s.sets.a.b.times", "a number"),
    ({"uncertainties": {"a.b": {"distribution": "uniform", "low": 1, "high": 0, "source": "s"}}},
     "uncertainties.a.b.high", "a number above low"),
    ({"uncertainties": {"a.b": {"distribution": "beta", "source": "s"}}}, "uncertainties.a.b.distribution", "one of"),
    ({"uncertainties": {"a.b": {"distribution": "uniform", "low": 0, "high": 1}}}, "uncertainties.a.b.source",
     "the source"),
    ({"outcomes": {"c": {"kpi": "x", "year": 2030, "sum": [2025, 2030]}}}, "outcomes.c", "exactly one of"),
    ({"outcomes": {"c": {"kpi": "x", "mean": [2030, 2025]}}}, "outcomes.c.mean", "[first year, last year]"),
    ({"sampler": "grid"}, "sampler", "one of lhs, sobol, morris"),
])
def test_a_bad_spec_is_a_one_line_error_naming_its_key(changes, key, expected):
    good = {"uncertainties": {"a.b": {"distribution": "uniform", "low": 0, "high": 1, "source": "s"}},
            "outcomes": {"c": {"kpi": "x", "year": 2030}}}
    with pytest.raises(ConfigError) as error:
        spec.validate({**good, **changes}, "t")
    assert error.value.key == key and expected in str(error.value) and "\n" not in str(error.value)


def test_a_sampled_value_the_config_rejects_fails_that_run_only(tmp_path):
    explored = exploration({"segments.motors.collection_rate": {"distribution": "uniform", "low": 0.5, "high": 1.5}})
    _, _, outcomes = run(explored, 10, "lhs", tmp_path)

    failed = outcomes[outcomes["status"] == "failed"]
    assert 0 < len(failed) < 10
    assert failed["error"].str.contains("segments.motors.collection_rate").all()


def test_an_exploration_whose_every_run_fails_is_an_error_naming_the_key_and_writes_no_result(tmp_path):
    """A unit of the wrong dimension makes every sampled value one the config rejects."""
    explored = exploration({"segments.motors.magnet_per_unit": {"distribution": "uniform", "low": 1, "high": 2,
                                                                "unit": "m"}})
    with pytest.raises(ValueError, match=r"every run failed .*; the first: config error: "
                                         r"segments\.motors\.magnet_per_unit = '[0-9.]+ m': expected a mass") as error:
        explore(explored, n=3, sampler="lhs", seed=1, base=steady(), out=tmp_path / "x", workers=1)
    assert "\n" not in str(error.value)
    assert not (tmp_path / "x").exists()  # only x.partial, with the runs' errors


@pytest.mark.parametrize("name", sorted(p.stem for p in (CONFIG_DIR / "explore").glob("*.yaml")))
def test_every_shipped_exploration_sets_keys_the_config_accepts(name):
    """Each spec in conf/explore validates, every lever composes, and the middle future (every
    uncertainty at the middle of its unit range) validates under the first lever."""
    explored = spec.load(name)
    unit = np.full((1, len(explored.uncertainties)), 0.5)
    experiments = sampling.experiments(explored, unit, 0)

    bases = evaluation.base_configs(explored, experiments)

    assert len(bases) == len(explored.levers)
    (_, key, settings), *_ = evaluation.tasks(explored, experiments)
    scenario = bases[key]  # a coupled exploration's bases are coupled scenarios (world:)
    params = scenario.with_values(settings).params() if isinstance(scenario, Coupled) \
        else sim.parameters(with_values(bases[key], settings))
    assert params.end_year >= max(o.years[1] for o in explored.outcomes)
    assert all(u.source.strip() for u in explored.uncertainties)


def test_the_ema_workbench_model_runs_the_simulator_with_the_values_ema_samples():
    """Two futures sampled by EMA Workbench's own sampler give the outcomes of the same values set
    through the exploration's path (names mapped back to config keys, units added)."""
    from sim.studies.exploration.ema import model, workbench

    ema = workbench()
    explored = spec.load("eu_2030")
    ema_experiments, ema_outcomes = ema.perform_experiments(model("eu_2030", lever="baseline"), scenarios=2)

    base = evaluation.plain_config(sim.load_config([*explored.overrides, "policy=baseline"]))
    for i in range(2):
        settings = {}
        for u in explored.uncertainties:
            settings.update(u.settings(float(ema_experiments[u.key.replace(".", "__")][i])))
        row = evaluation.evaluate(base, settings, explored.outcomes)
        assert row["status"] == "ok"
        assert ema_outcomes["content_2030"][i] == pytest.approx(row["content_2030"], rel=1e-12)



@pytest.mark.parametrize("launcher", [[], ["hydra/sweeper=basic", "hydra/launcher=basic"]], ids=["ndfeb", "basic"])
def test_hydra_launchers_run_an_exploration_in_chunks_with_the_same_outcomes(tmp_path, launcher):
    """`--chunks` prepares the exploration and prints a multirun; any Hydra launcher runs one chunk
    per job (the project's and Hydra's basic one here), and the multirun's end joins and analyses
    them: the outcomes equal those of the local process pool."""
    import subprocess
    import sys

    import yaml

    spec_file = tmp_path / "small.yaml"
    spec_file.write_text(yaml.safe_dump({
        "overrides": ["end_year=2030", "output.figures=false"], "n": 3, "seed": 4,
        "uncertainties": {"segments.ev_traction.liberation_rate": {"distribution": "uniform", "low": 0.05,
                                                                   "high": 0.8, "source": "test"}},
        "levers": {"baseline": ["policy=baseline"]},
        "outcomes": {"content": {"kpi": "recycled_content_target_scope", "year": 2030}}}))
    from sim.studies.exploration.command import main

    assert main([str(spec_file), "--chunks", "2", "--out", str(tmp_path / "hydra")]) == 0
    command = [sys.executable, "-m", "sim", "-m", f"+exploration.dir={tmp_path / 'hydra.partial'}",
               "+exploration.chunk=range(0,2)", *launcher,
               f"hydra.sweep.dir={tmp_path / 'multirun'}"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=CONFIG_DIR.parent)
    assert done.returncode == 0, done.stderr[-2000:]

    local = explore(spec.load(str(spec_file)), out=tmp_path / "local", workers=1)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "hydra" / "outcomes.parquet"),
                                  pd.read_parquet(local / "outcomes.parquet"))
    assert not (tmp_path / "hydra.partial").exists() and (tmp_path / "hydra" / "discovery.md").is_file()


def test_morris_screening_gives_no_elementary_effect_to_an_uncertainty_without_effect(tmp_path):
    explored = exploration({"segments.motors.collection_rate": COLLECTION,
                            "industry.magnet_making.yield_sd": NO_EFFECT["industry.magnet_making.yield_sd"]})
    unit, experiments, outcomes = run(explored, 4, "morris", tmp_path)

    table, morris = sensitivity.indices(explored, unit, experiments, outcomes, "morris", seed=1)

    assert table.empty and len(experiments) == 4 * 3
    mu_star = morris.set_index("uncertainty")["mu_star"]
    assert mu_star["industry.magnet_making.yield_sd"] == 0
    # content = 0.48 x collection: an elementary effect is 0.48 per unit of the (unit-cube) range
    assert mu_star["segments.motors.collection_rate"] == pytest.approx(LIBERATION * YIELD, rel=1e-3)


def _page_figures(page: str) -> list[dict]:
    """The plotly figures of a report page, as the page's script hands them to Plotly."""
    import json

    start = page.index("for (const p of ") + len("for (const p of ")
    return json.JSONDecoder().raw_decode(page[start:])[0]


def test_an_exploration_writes_a_workbook_and_a_page_of_its_tables(tmp_path):
    """results.xlsx and report.html hold what the runs gave: the robustness rows recomputed here from
    outcomes.parquet (share meeting the target, median), every run's inputs and outcomes, shares in
    percent; the page's figures plot the outcomes of each lever against the target."""
    from openpyxl import load_workbook

    explored = exploration({"segments.motors.collection_rate": COLLECTION,
                            "plant_schedules.shift": {"distribution": "discrete", "values": [0, 10]}},
                           levers={"low": ["segments.motors.liberation_rate=0.3"], "high": []})
    out = explore(explored, n=12, sampler="lhs", seed=3, base=steady({2024: "0 t/yr", 2025: "1000 t/yr"}),
                  out=tmp_path / "x", workers=1)
    experiments, outcomes = (pd.read_parquet(out / f"{name}.parquet") for name in ("experiments", "outcomes"))
    runs = experiments.merge(outcomes, on="run")

    book = load_workbook(out / "results.xlsx", read_only=True)
    assert book.sheetnames == ["read-me", "robustness", "scenario discovery", "runs", "outcomes", "uncertainties",
                               "levers"]
    sheet = {name: pd.DataFrame(list(book[name].values)[1:], columns=list(book[name].values)[0])
             for name in book.sheetnames[1:]}
    robust = sheet["robustness"].set_index("lever")
    for lever in ("low", "high"):
        mine = runs[runs["lever"] == lever]
        assert robust.at[lever, "share_meeting_target [%]"] == pytest.approx(100 * mine["target_met"].mean())
        assert robust.at[lever, "p50"] == pytest.approx(100 * np.median(mine["content"]))
    assert list(robust["unit"]) == ["%", "%"]
    boxes = pd.read_csv(out / "boxes.csv")
    assert sheet["scenario discovery"]["density [%]"].to_numpy() == pytest.approx(100 * boxes["density"].to_numpy())
    table = sheet["runs"]
    assert len(table) == 24 and list(table["run"]) == list(runs["run"])
    assert table["content [%]"].to_numpy() == pytest.approx(100 * runs["content"].to_numpy())
    assert table["segments.motors.collection_rate"].to_numpy() == pytest.approx(
        runs["segments.motors.collection_rate"].to_numpy())
    assert list(table["lever"]) == list(runs["lever"])
    assert set(sheet["uncertainties"]["uncertainty"]) == {"segments.motors.collection_rate", "plant_schedules.shift"}
    defined = {(row[0], row[1]) for row in book["read-me"].values if row and row[0] in book.sheetnames}
    assert ("runs", "content") in defined and ("robustness", "max_regret") in defined

    page = (out / "report.html").read_text()
    lines = (out / "discovery.md").read_text().split("\n## ")[0].splitlines()
    shown = page.replace("<code>", "`").replace("</code>", "`")
    assert lines[2] in shown  # futures, levers, runs, target
    bullet = next(line for line in lines if line.startswith("- "))
    assert f"<li>{bullet[2:].split(';')[0]}" in shown
    spread, = (f for f in _page_figures(page) if f["data"][0]["type"] == "box")
    for trace in spread["data"]:
        assert trace["y"] == pytest.approx(list(100 * runs.loc[runs["lever"] == trace["name"], "content"]))
    assert spread["layout"]["shapes"][0]["y0"] == pytest.approx(100 * SHARE)
    assert page.count("<script>") == 2  # plotly.js once, the figures once


def _anchor(config: dict, key: str) -> float:
    node = config
    for part in key.split("."):
        node = node[part]
    return float(node)


def test_a_share_that_splits_two_linked_series_keeps_their_sum_and_starts_from_the_configs_split():
    """eu_2030's direct-drive shares set the direct-drive and geared series of the same capacity: at
    the config's own split they give back the config's anchors, and any share keeps the sum."""
    explored = spec.load("eu_2030")
    linked = [u for u in explored.uncertainties if u.sets]
    assert {u.key for u in linked} == {"wind_onshore_direct_drive_share", "wind_offshore_direct_drive_share"}
    base = evaluation.plain_config(sim.load_config(list(explored.overrides)))
    for u in linked:
        (first, _, times), *_ = u.sets
        own = _anchor(base, first) / times  # the config's direct-drive share
        assert u.parameters[0] < own < u.parameters[1]
        for key, value in u.settings(own).items():
            assert value == pytest.approx(_anchor(base, key), rel=1e-9), key
        chosen = u.settings(u.parameters[0])
        for year in ("2030", "2050"):
            pair = [v for k, v in chosen.items() if k.endswith(year)]
            assert sum(pair) == pytest.approx(sum(_anchor(base, k) for k in chosen if k.endswith(year)))
    params = sim.parameters(with_values(base, linked[0].settings(0.5)))
    onshore = {s.name: s.placed_on_market for s in params.segments if s.name.startswith("wind_onshore")}
    assert onshore["wind_onshore_dd"].at(2030) == pytest.approx(0.5 * 5152)
    assert onshore["wind_onshore_geared"].at(2030) == pytest.approx(0.5 * 5152)
    assert onshore["wind_onshore_dd"].at(2020) == pytest.approx(820)  # history stays as observed


def test_outcomes_are_the_kpis_means_over_replications_by_year_read_as_pandas_would():
    """Outcomes of a stochastic run's KPI table (three replications, some KPIs undefined) against
    pandas' group means, which skip NaN as the outcomes do; the binding constraint is the most frequent
    in the target year, the first by name of equally frequent ones."""
    from types import SimpleNamespace

    years = np.arange(2025, 2031)
    rng = np.random.default_rng(3)
    kpis = pd.DataFrame({"replication": np.repeat([0, 1, 2], len(years)), "year": np.tile(years, 3),
                         "content": rng.uniform(0.0, 0.3, 3 * len(years)), "shortage_t": rng.uniform(0, 5, 18),
                         "binding_constraint": ["feed", "capacity", None, "feed", "capacity", "collection"] * 3})
    kpis.loc[kpis["year"] < 2027, "content"] = 0.1  # the target (15 %) is first met in 2027
    kpis.loc[kpis["year"] == 2027, "content"] = 0.2
    kpis.loc[[4, 10], "content"] = np.nan  # 2029 of replications 0 and 1
    kpis.loc[kpis["year"] == 2030, "binding_constraint"] = ["liberation", "collection", "liberation"]
    params = SimpleNamespace(start_year=2025, end_year=2030,
                             target=SimpleNamespace(metric="content", share=0.15, year=2030))
    explored = spec.validate({"uncertainties": {"a.b": {"distribution": "uniform", "low": 0, "high": 1, "source": "t"}},
                              "outcomes": {"y": {"kpi": "content", "year": 2029},
                                           "m": {"kpi": "target", "mean": [2027, 2030]},
                                           "s": {"kpi": "shortage_t", "sum": [2025, 2030], "direction": "minimize"},
                                           "f": {"first_year": [2025, 2030]}}}, "t")
    row = evaluation.outcome_values(params, kpis, explored.outcomes)

    means = kpis.groupby("year")[["content", "shortage_t"]].mean()
    assert row["y"] == pytest.approx(kpis.loc[16, "content"])  # 2029: only replication 2 has it
    assert row["m"] == pytest.approx(means.loc[2027:2030, "content"].mean())
    assert row["s"] == pytest.approx(means["shortage_t"].sum())
    assert row["f"] == 2027
    assert row["target_met"] == (means.loc[2030, "content"] >= 0.15)
    assert row["binding_constraint"] == "liberation"
    kpis.loc[kpis["year"] == 2030, "binding_constraint"] = ["liberation", "collection", None]
    assert evaluation.outcome_values(params, kpis, explored.outcomes)["binding_constraint"] == "collection"
