"""The coupled mode (conf/world/): the EU alone gives the single-region tables; with no trade and an
open China pool the regions are their separate runs; a cut and a binding pool act as computed by
hand; every region balances and the trade leaves one region as it reaches another."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from chain_scenarios import assert_balanced, assert_sources_match_holdings

import sim
from sim.analysis.world import run_world
from sim.config.world import load_world
from sim.model.world import _fill

SHORT = "end_year=2034"


def region_tables(result, code: str) -> dict[str, pd.DataFrame]:
    """A region's tables out of the coupled ones, as a single-region run writes them."""
    out = {}
    for name in ("kpis", "flows", "stocks"):
        table = getattr(result, name)
        part = table[table["region"] == code].drop(columns="region").reset_index(drop=True)
        out[name] = part
    return out


def assert_same_tables(coupled: dict[str, pd.DataFrame], single) -> None:
    for name, table in coupled.items():
        expected = getattr(single, name).reset_index(drop=True)
        pd.testing.assert_frame_equal(table[expected.columns].astype(expected.dtypes.to_dict()), expected,
                                      check_exact=True, check_categorical=False)


def test_the_eu_alone_gives_the_tables_of_a_single_region_run():
    """world=eu_only against `sim.run` of the default config, computed independently."""
    coupled = run_world(load_world(["world=eu_only"]))
    assert_same_tables(region_tables(coupled, "eu"), sim.run(sim.load_config()))


@pytest.mark.parametrize("mode", ["expected", "stochastic"])
def test_no_trade_and_an_open_pool_give_the_separate_runs(mode):
    extra = [SHORT, f"mode={mode}"] + (["replications=2"] if mode == "stochastic" else [])
    coupled = run_world(load_world(extra))
    for code in ("eu", "us", "japan"):
        single = sim.run(sim.load_config([f"region={code}", *extra]))
        assert_same_tables(region_tables(coupled, code), single)
    assert coupled.trade["mass_t"].sum() == 0.0


@pytest.fixture(scope="module")
def traded():
    return run_world(load_world([SHORT, "world.trade.eu.us=0.5", "world.trade.japan.eu=0.3",
                                 "world.trade.us.japan=0.2"]))


def test_every_region_balances_with_trade(traded):
    for result in traded.regions.values():
        assert_balanced(result)
        assert_sources_match_holdings(result)


def test_trade_leaves_one_region_as_it_reaches_another(traded):
    """The EU's scrap exports of a year, half of them to the US: what the US imports from the EU.
    Summed over the regions, scrap imports equal the exports sent to the regions."""
    flows = traded.flows
    exports = flows.query("from_node == 'scrap_store' and to_node == 'scrap_export'").groupby(
        ["region", "year"]).mass_t.sum()
    imports = flows.query("from_node == 'scrap_import' and to_node == 'scrap_store'").groupby(  # no imports of its own
        ["region", "year"]).mass_t.sum()
    scrap = traded.trade[traded.trade["material"] == "scrap"]
    trade = scrap.set_index(["from_region", "to_region", "year"]).mass_t.sort_index()
    for (exporter, destination), share in (("eu", "us"), 0.5), (("japan", "eu"), 0.3), (("us", "japan"), 0.2):
        sent = trade.loc[(exporter, destination)]
        assert sent.to_numpy() == pytest.approx(share * exports.loc[exporter].reindex(sent.index).to_numpy(), rel=1e-9)
    arrived = scrap.groupby(["to_region", "year"]).mass_t.sum()
    assert arrived.to_numpy() == pytest.approx(imports.reindex(arrived.index, fill_value=0).to_numpy(), rel=1e-9)
    assert traded.trade["mass_t"].sum() > 100  # t: the test moves real scrap


def test_the_bloc_is_the_sum_of_its_regions(traded):
    """Hand-computed from the regions' rows: masses add up; each share of the bloc is the summed
    numerator over the summed denominator, a region's numerator being its share x its denominator
    (post-consumer, target scope) or a mass of its own (recycled, Dy and Tb not from China)."""
    kpis = traded.kpis.set_index(["region", "year"])
    regions, bloc = kpis.drop(index="bloc", level="region"), kpis.loc["bloc"]

    def total(values):
        return values.groupby("year").sum().to_numpy()

    for mass in ("demand_t", "delivered_t", "shortage_t", "shortage_dy_tb_grades_t", "shortage_target_scope_t",
                 "dy_demand_t", "tb_supply_china_t"):
        assert bloc[mass].to_numpy() == pytest.approx(total(regions[mass]), rel=1e-12)
    delivered, scope = total(regions["delivered_t"]), total(regions["target_scope_delivered_t"])
    expected = {
        "recycled_content": total(regions["recycled_supply_t"]) / delivered,
        "recycled_content_post_consumer": total(regions["recycled_content_post_consumer"]
                                                * regions["delivered_t"]) / delivered,
        "recycled_content_target_scope": total(regions["recycled_content_target_scope"]
                                               * regions["target_scope_delivered_t"]) / scope,
        "recycled_content_target_scope_post_consumer": total(
            regions["recycled_content_target_scope_post_consumer"] * regions["target_scope_delivered_t"]) / scope,
        "recycled_content_post_consumer_Dy": total(regions["recycled_content_post_consumer_Dy"]
                                                   * regions["dy_delivered_t"]) / total(regions["dy_delivered_t"]),
        "recycled_content_region_made": total(regions["recycled_output_t"]) / total(regions["region_made_t"]),
        "self_sufficiency_Dy": total(regions["dy_supply_rest_of_world_t"] + regions["dy_recycled_t"])
        / total(regions["dy_demand_t"]),
        "self_sufficiency_Tb": total(regions["tb_supply_rest_of_world_t"] + regions["tb_recycled_t"])
        / total(regions["tb_demand_t"]),
    }
    for name, values in expected.items():
        assert bloc[name].to_numpy() == pytest.approx(values, rel=1e-9), name
        averaged = regions[name].groupby("year").mean().to_numpy()
        assert not np.allclose(averaged, values, rtol=1e-3), name  # the regions differ: a mean would show
    assert bloc["recycled_content_pre_consumer"].to_numpy() == pytest.approx(
        expected["recycled_content"] - expected["recycled_content_post_consumer"], rel=1e-9, abs=1e-15)


@pytest.fixture(scope="module")
def oxide():
    return run_world(load_world([SHORT, "world.oxide_trade.eu.us=0.5", "world.oxide_trade.eu.japan=0.25",
                                 "world.oxide_trade.japan.us=0.2"]))


def test_every_region_balances_with_oxide_trade(oxide):
    for result in oxide.regions.values():
        assert_balanced(result)
        assert_sources_match_holdings(result)


def test_oxide_trade_sends_the_shares_of_the_separated_oxide_element_by_element(oxide):
    """Hand-computed: the EU sells 0.5 + 0.25 of what its long loop separates each year, Japan 0.2;
    the US buys 0.5 of the EU's and 0.2 of Japan's, Nd, Dy and Tb alike; summed over the regions, the
    oxide sold is the oxide bought, year by year and element by element."""
    def element_flow(code, src, dst):
        table = oxide.regions[code].element_flows
        part = table[(table["from_node"] == src) & (table["to_node"] == dst)]
        return part.groupby(["year", "element"]).mass_t.sum()

    separated = {code: sum(element_flow(code, f"long_loop:{plant.name}", "metal_alloy_making")
                           for plant in oxide.world.regions[code].plants if plant.route == "long_loop")
                 for code in ("eu", "japan")}
    sold = {code: element_flow(code, "metal_alloy_making", "oxide_export") for code in ("eu", "us", "japan")}
    bought = {code: element_flow(code, "oxide_import", "metal_alloy_making") for code in ("eu", "us", "japan")}
    assert sold["eu"].to_numpy() == pytest.approx(0.75 * separated["eu"].reindex(sold["eu"].index).to_numpy(),
                                                  rel=1e-9)
    assert sold["japan"].to_numpy() == pytest.approx(
        0.2 * separated["japan"].reindex(sold["japan"].index).to_numpy(), rel=1e-9)
    expected_us = (0.5 * separated["eu"]).add(0.2 * separated["japan"], fill_value=0.0)
    assert bought["us"].to_numpy() == pytest.approx(expected_us.reindex(bought["us"].index).to_numpy(), rel=1e-9)
    assert bought["japan"].to_numpy() == pytest.approx(
        0.25 * separated["eu"].reindex(bought["japan"].index).to_numpy(), rel=1e-9)
    assert sold["us"].empty and bought["eu"].empty  # no long loop sells for the US, no one sells to the EU
    world_sold = sold["eu"].add(sold["japan"], fill_value=0.0).sort_index()
    world_bought = (bought["us"].add(bought["japan"], fill_value=0.0)).sort_index()
    assert world_sold.to_numpy() == pytest.approx(world_bought.reindex(world_sold.index).to_numpy(), rel=1e-12)
    assert world_sold.xs("Dy", level="element").sum() > 1  # t: the test moves real Dy
    trade = oxide.trade[oxide.trade["material"] == "oxide"].groupby(["from_region", "to_region"]).mass_t.sum()
    assert trade[("eu", "us")] == pytest.approx(0.5 / 0.75 * sold["eu"].sum(), rel=1e-9)


def test_bought_oxide_becomes_recycled_alloy_of_the_destination(oxide):
    """The US has no long loop of its own: all its recycled alloy is made of the oxide it buys, so
    over the run alloy made + what waits = yield x oxide bought (its metal and alloy making loses the
    rest)."""
    kpis = oxide.kpis.set_index(["region", "year"]).loc["us"]
    stocks = oxide.stocks
    waiting = stocks[(stocks["region"] == "us") & (stocks["node"] == "metal_alloy_making")]
    held = waiting[waiting["year"] == waiting["year"].max()]["mass_t"].sum()
    process_yield = oxide.world.regions["us"].industry.metal_alloy_making.process_yield
    assert kpis["alloy_t"].sum() > 100
    assert kpis["alloy_t"].sum() == pytest.approx(process_yield * (kpis["oxide_import_t"].sum() - held), rel=1e-9)


def test_a_cut_of_chinas_exports_lowers_imports_by_the_china_share():
    """China cuts exports to the bloc by 40 % from 2030, pool open otherwise: each region's imported
    magnets fall to 1 - china_share x 0.4 of the uncut run (availability scales imports), from 2030 on.
    Within 1e-4: products not placed in the shortage send a little less short-lived scrap to the
    plants, so a little less bonded magnet is made and imported magnets make up for it."""
    world = load_world([SHORT, "world.china_pool.cut.share=0.4", "world.china_pool.cut.from=2030"])
    cut = run_world(world).kpis.set_index(["region", "year"])
    base = run_world(load_world([SHORT])).kpis.set_index(["region", "year"])
    for code in ("eu", "us", "japan"):
        share = float(world.pool.china_share[code].at(2031))
        assert cut.at[(code, 2031), "imported_magnets_t"] == pytest.approx(
            (1 - 0.4 * share) * base.at[(code, 2031), "imported_magnets_t"], rel=1e-4)
        assert cut.at[(code, 2029), "imported_magnets_t"] == base.at[(code, 2029), "imported_magnets_t"]
        assert cut.at[(code, 2031), "shortage_t"] > 0 == base.at[(code, 2031), "shortage_t"]


def test_a_binding_pool_is_shared_by_weight_and_ask():
    """Hand-computed: 20 shared between asks of 10 and 30 pro rata gives 5 and 15; with weights 3 and
    1, the first would get 20 x 30/60 = 10, all it asks, and the second the other 10."""
    assert _fill({"a": 10.0, "b": 30.0}, {"a": 1.0, "b": 1.0}, 20.0) == pytest.approx({"a": 5.0, "b": 15.0})
    assert _fill({"a": 10.0, "b": 30.0}, {"a": 3.0, "b": 1.0}, 20.0) == pytest.approx({"a": 10.0, "b": 10.0})
    assert _fill({"a": 10.0, "b": 30.0}, {"a": 1.0, "b": 1.0}, 50.0) == pytest.approx({"a": 10.0, "b": 30.0})


#: China licences Dy and Tb to the US alone at half of what is asked, 2028 and 2029; what is not
#: approved is withdrawn (nothing waits to be asked again); the US has no rest-of-world make-up
US_LICENCE = ("us.policy.licences=[{elements: [Dy, Tb], forms: [oxide_metal, magnets, magnets_in_products], "
              "from: '2028-01', to: '2029-12', approval_share: 0.5, cancel_share: 1}]")


def test_a_licence_on_one_destination_acts_as_in_its_own_run_and_spares_the_others():
    """With no trade and an open pool, the US under a licence is the single-region US run under the
    same licence (`policy.licences`, the one licence key of both modes), and the EU and Japan are
    their own runs without it."""
    coupled = run_world(load_world([SHORT, US_LICENCE]))
    licence = US_LICENCE.split(".", 1)[1]
    assert_same_tables(region_tables(coupled, "us"), sim.run(sim.load_config(["region=us", SHORT, licence])))
    for code in ("eu", "japan"):
        assert_same_tables(region_tables(coupled, code), sim.run(sim.load_config([f"region={code}", SHORT])))


def test_a_licence_on_the_us_halves_its_controlled_china_deliveries_in_the_window():
    """Hand-computed: approval 0.5 halves the Dy and Tb the US gets from China in 2028 and 2029 (all
    of it is in controlled lots), leaves 2027 and the EU's as they were, and the shortage that
    follows is of grades that need Dy or Tb alone (Dy-free magnets are not controlled). Within 1e-3:
    products not placed in the shortage change the scrap, so the recycled inputs, a little."""
    result = run_world(load_world([SHORT, US_LICENCE]))
    licensed = result.kpis.set_index(["region", "year"])
    base = run_world(load_world([SHORT])).kpis.set_index(["region", "year"])
    for element in ("dy", "tb"):
        column = f"{element}_supply_china_t"
        for year in (2028, 2029):
            assert licensed.at[("us", year), column] == pytest.approx(0.5 * base.at[("us", year), column], rel=1e-3)
        assert licensed.at[("us", 2027), column] == base.at[("us", 2027), column]
        assert licensed.loc["eu", column].to_numpy() == pytest.approx(base.loc["eu", column].to_numpy(), rel=1e-12)
    short = licensed.loc[("us", 2028)]
    assert short["shortage_t"] > 1000 and base.at[("us", 2028), "shortage_t"] == 0  # t
    assert short["shortage_dy_tb_grades_t"] == pytest.approx(short["shortage_t"], rel=1e-9)
    assert licensed.at[("bloc", 2028), "shortage_t"] == pytest.approx(short["shortage_t"], rel=1e-12)
    # china.csv: the pool allots what is asked; every US grade needs Dy or Tb (none is N, no Dy-free
    # share), so the licences let through half of it in the window, and all of it outside it and for the EU
    china = result.china.set_index(["region", "year"])
    assert china.at[("us", 2028), "licensed_t"] == pytest.approx(0.5 * china.at[("us", 2028), "delivered_t"],
                                                                 rel=1e-9)
    assert china.at[("us", 2027), "licensed_t"] == china.at[("us", 2027), "delivered_t"]
    assert (china.loc["eu", "licensed_t"] == china.loc["eu", "delivered_t"]).all()


def test_a_licence_lets_dy_free_magnets_through():
    """US EV motors made Dy-free: their China magnets and feed are not controlled, so more than half
    of the US's allotment passes the 0.5 licence, and what is short still needs Dy or Tb."""
    result = run_world(load_world([SHORT, US_LICENCE, "us.segments.ev_traction.dy_free_share=1"]))
    china = result.china.set_index(["region", "year"]).loc[("us", 2028)]
    assert 0.51 * china["delivered_t"] < china["licensed_t"] < 0.95 * china["delivered_t"]
    us = result.kpis.set_index(["region", "year"]).loc[("us", 2028)]
    assert us["shortage_t"] > 0 and us["shortage_dy_tb_grades_t"] == pytest.approx(us["shortage_t"], rel=1e-9)


@pytest.mark.parametrize("override, key", [
    ("us.segments.ev_traction.collection_rate=2", "us.segments.ev_traction.collection_rate"),
    ("japan.region.code=nippon", "japan.region.code"),
    ("world.trade.eu.china=0.5", "world.trade.eu.china"),
    ("world.trade.eu.us=1.5", "world.trade.eu.us"),
    ("world.oxide_trade.eu.china=0.5", "world.oxide_trade.eu.china"),
    ("world.oxide_trade.eu={us: 0.7, japan: 0.6}", "world.oxide_trade.eu"),
    ("world.china_pool.china_share.mars=0.5", "world.china_pool.china_share.mars"),
    ("world.china_pool.cut.share=-0.1", "world.china_pool.cut.share"),
    ("+world.china_pool.licences=[]", "world.china_pool.licences"),
    ("world.regions=[eu,eu]", "world.regions"),
    ("us.start_year=2026", "us.start_year"),
])
def test_bad_input_names_the_region_in_the_key(override, key):
    with pytest.raises(sim.ConfigError) as raised:
        world = load_world([override])
        run_world(world)
    assert raised.value.key == key and "\n" not in str(raised.value)


def test_the_command_answers_the_cut_question_and_writes_the_tables(tmp_path):
    finished = subprocess.run([sys.executable, "-m", "sim", "world", SHORT, "world.china_pool.cut.share=0.5",
                               "world.china_pool.cut.from=2030", "--out", str(tmp_path / "run")],
                              capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "china.csv", "flows.csv", "kpis.csv", "stocks.csv", "summary.md", "trade.csv"]
    kpis = pd.read_csv(tmp_path / "run" / "kpis.csv")
    assert set(kpis["region"]) == {"eu", "us", "japan", "bloc"}
    china = pd.read_csv(tmp_path / "run" / "china.csv").groupby("year")[["asked_t", "delivered_t"]].sum()
    assert np.allclose(china.loc[2031, "delivered_t"], 0.5 * china.loc[2031, "asked_t"], rtol=1e-12)
    assert "| 2030 |" in (tmp_path / "run" / "summary.md").read_text()
    bad = subprocess.run([sys.executable, "-m", "sim", "world", "us.segments.ev_traction.collection_rate=2",
                          "--out", str(tmp_path / "bad")], capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert bad.stderr.startswith("config error: us.segments.ev_traction.collection_rate = ")
    assert not (tmp_path / "bad").exists()
