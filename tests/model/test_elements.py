"""Element tracking: lots by element, the element account of unit-holding nodes, the composition
of what each node of the value chain makes, the element balance check and the flows_by_element
table."""

import numpy as np
import pandas as pd
import pytest
from chain_scenarios import full_feature_config, small_config

import sim
from sim.config.lifetimes import Lifetime
from sim.config.values import ELEMENTS
from sim.model import lots
from sim.model.balance import check, check_elements
from sim.model.cohorts import CohortStock
from sim.model.industry import BondedMaking, MagnetMaking
from sim.model.market import Market, make_up, make_up_mass
from sim.model.scrap_store import ScrapStore
from sim.model.simulation import Simulation
from sim.model.supply import PrimarySupply

DY = ELEMENTS.index("Dy")
RARE_EARTHS = [ELEMENTS.index(e) for e in ("Nd", "Pr", "Dy", "Tb")]
EV = {"Nd": 0.21, "Pr": 0.06, "Dy": 0.05, "Tb": 0.005, "B": 0.01, "FeCo": 0.665}
HDD = {"Nd": 0.24, "Pr": 0.05, "Dy": 0.01, "Tb": 0.0, "B": 0.01, "FeCo": 0.69}
EV_SHARES = np.array([EV[e] for e in ELEMENTS])
HDD_SHARES = np.array([HDD[e] for e in ELEMENTS])


def two_segments(**changes) -> dict:
    """An EV-like and an HDD-like segment of 1 kg units, 1,200 units a year each (100 kg a month)."""
    segment = {"placed_on_market": 1200, "magnet_per_unit": "1 kg",
               "lifetime": {"distribution": "fixed", "mean": "5 yr"},
               "collection_rate": 0.5, "liberation_rate": 0.5}
    return small_config(**changes) | {"segments": {
        "ev": {**segment, "composition": EV, "in_target_scope": True},
        "hdd": {**segment, "composition": HDD, "in_target_scope": False}}}


def element_table(result, keys=("from_node", "to_node")) -> pd.DataFrame:
    """flows_by_element summed over replications and years: one row per flow, one column per element [t]."""
    table = result.element_flows.astype({"from_node": str, "to_node": str, "element": str})
    return table.pivot_table(index=list(keys), columns="element", values="mass_t", aggfunc="sum",
                             fill_value=0.0)[list(ELEMENTS)]


def test_segment_content_mixes_by_hand():
    """10 kg at 5 % Dy and 10 kg at 1 % Dy held in one segment: 5 kg leaving carry 3 % Dy (0.15 kg)."""
    content = lots.SegmentContent(2)
    content.add(np.array([[0.0, 0.0, 0.5, 0.0, 0.0, 9.5], [0.0] * 6]))
    content.add(np.array([[0.0, 0.0, 0.1, 0.0, 0.0, 9.9], [0.0] * 6]))
    out = content.remove(np.array([5.0, 0.0]))
    assert out[0, DY] == pytest.approx(0.15) and out[0].sum() == pytest.approx(5.0)
    assert content.held[0, DY] == pytest.approx(0.45) and content.held.sum() == pytest.approx(15.0)
    assert not out[1].any()
    rest = content.remove(np.array([50.0, 1.0]))  # more than a segment holds takes all of it
    assert rest[0].sum() == pytest.approx(15.0) and rest[0, DY] == pytest.approx(0.45)
    assert not content.held.any() and not rest[1].any()


def _market_with(recycled_feed: str):
    """A month of demand (100 kg per segment) met by magnet making without swarf or loss, from
    10 kg of HDD magnet powder or 3.25 kg of rare earths separated from 10 kg of EV magnets."""
    params = sim.parameters(two_segments(industry={"magnet_making": {
        "capacity": "100 t/yr", "swarf_share": 0.0, "loss_share": 0.0}}))
    market = Market(params, whole_units=False, supply=PrimarySupply(params))
    making, bonded = MagnetMaking(params), BondedMaking(params)
    lot = lots.empty(params)
    if recycled_feed == "powder":
        lot[1] = 10.0 * HDD_SHARES  # origin slot hdd
        making.powder.add(lot, 2021.0 - 1 / 12)  # arrived a month before: usable now
    else:
        lot[0, RARE_EARTHS] = 10.0 * EV_SHARES[RARE_EARTHS]  # origin slot ev: Nd, Pr, Dy, Tb only
        making.alloy.add(lot, 2021.0 - 1 / 12)
    return market.deliver(2021, 2021.0, making, bonded)


def test_re_sintered_powder_keeps_its_composition_and_each_use_gets_its_own():
    """10 kg of HDD powder (1 % Dy) become 10 kg of magnets, spread pro rata: 5 kg to each use at
    1 % Dy (0.05 kg). The primary feed makes up the rest: each use's 100 kg hold its own Dy
    (5 kg for EV, 1 kg for HDD), so the primary part holds 4.95 kg and 0.95 kg."""
    delivery = _market_with("powder")
    recycled = delivery.post_consumer + delivery.pre_consumer
    assert lots.mass(delivery.post_consumer)[:2] == pytest.approx([5.0, 5.0])
    assert recycled[:2, DY] == pytest.approx([0.05, 0.05])
    assert delivery.primary[:2, DY] == pytest.approx([4.95, 0.95])
    delivered = delivery.primary + recycled
    assert delivered[0] == pytest.approx(100 * EV_SHARES) and delivered[1] == pytest.approx(100 * HDD_SHARES)
    assert delivery.made.primary == pytest.approx(190.0)
    primary_dy = delivery.made.primary_part(delivery.made.primary)[DY]
    assert primary_dy == pytest.approx(4.95 + 0.95)


def test_recycled_rare_earths_get_iron_and_boron_from_the_primary_feed():
    """3.25 kg of rare earths separated from 10 kg of EV magnets (Nd 2.1, Pr 0.6, Dy 0.5, Tb 0.05)
    enter 3.25 kg of magnets, half to each use: each half carries only rare earths, and the primary
    feed brings the iron and boron so that EV's 100 kg have its composition. HDD magnets have no Tb:
    the 0.025 kg the recycled half brings stays, and the primary feed's 98.375 kg share out the
    rest of HDD's shares less what the recycled half brings (98.4 kg of need)."""
    delivery = _market_with("alloy")
    recycled = delivery.pre_consumer + delivery.post_consumer
    assert recycled[0] == pytest.approx(recycled[1])
    assert recycled[0, RARE_EARTHS] == pytest.approx([1.05, 0.3, 0.25, 0.025])
    assert recycled[0, [ELEMENTS.index("B"), ELEMENTS.index("FeCo")]] == pytest.approx([0.0, 0.0])
    delivered = delivery.primary + recycled
    assert delivered[0] == pytest.approx(100 * EV_SHARES)
    need = np.maximum(100 * HDD_SHARES - recycled[1], 0.0)
    assert need.sum() == pytest.approx(98.4)
    assert delivered[1] == pytest.approx(recycled[1] + need * 98.375 / 98.4)
    assert delivered[1, ELEMENTS.index("Tb")] == pytest.approx(0.025)
    assert lots.mass(delivered)[:2] == pytest.approx([100.0, 100.0])


def test_make_up_by_hand():
    """Rare earths of 10 kg of EV magnets (3.25 kg) need 6.75 kg of iron, cobalt and boron; for
    100 kg of EV magnets the primary feed has 18.9 kg Nd, 5.4 Pr, 4.5 Dy, 0.45 Tb, 1 B, 66.5 FeCo
    (of 96.75 kg). Dy-rich powder for a low-Dy use: the excess Dy stays, the rest is made up."""
    alloy = np.zeros((1, len(ELEMENTS)))
    alloy[0, RARE_EARTHS] = 10.0 * EV_SHARES[RARE_EARTHS]
    assert make_up_mass(alloy, EV_SHARES[None, :]) == pytest.approx([6.75])
    shares = make_up(100.0 * EV_SHARES[None, :], alloy, EV_SHARES[None, :])
    assert 96.75 * shares[0] == pytest.approx([18.9, 5.4, 4.5, 0.45, 1.0, 66.5])
    powder = 60.0 * EV_SHARES[None, :]  # 3 kg Dy for 100 kg of HDD magnets, which take 1 kg
    shares = make_up(100.0 * HDD_SHARES[None, :], powder, HDD_SHARES[None, :])
    assert shares[0, DY] == 0.0 and shares.sum() == pytest.approx(1.0)


def test_without_recycling_every_flow_has_its_segment_composition():
    """No plants: Dy of each flow of the EV-only chain is 5 % of its mass, as configured."""
    cfg = two_segments(plants={})
    cfg["segments"].pop("hdd")
    result = sim.run(cfg)
    keys = ["year", "origin", "from_node", "to_node"]
    mass = result.flows.groupby(keys, observed=True)["mass_t"].sum()
    dy = result.element_flows[result.element_flows["element"] == "Dy"].groupby(keys, observed=True)["mass_t"].sum()
    for node in ("market", "in_use", "end_of_life", "collection", "dismantling", "magnet_making"):
        chain = mass.xs(node, level="from_node")
        assert dy.xs(node, level="from_node").to_numpy() == pytest.approx(0.05 * chain.to_numpy(), rel=1e-12)


def test_value_chain_carries_each_element():
    """Through the whole chain: the long loop recovers each rare earth at its yield (0.8) and sends
    all iron, cobalt and boron to process loss; HPMS powder has the composition of its feed; magnet
    making's swarf has the composition of the magnets it makes; bonded magnets that of their powder."""
    table = element_table(sim.run(full_feature_config()))
    feed = table.loc[("scrap_store", "long_loop:hydro")]
    separated = table.loc[("long_loop:hydro", "metal_alloy_making")]
    assert separated.iloc[RARE_EARTHS].to_numpy() == pytest.approx(0.8 * feed.iloc[RARE_EARTHS].to_numpy())
    assert separated[["B", "FeCo"]].to_numpy() == pytest.approx([0.0, 0.0], abs=0.0)
    lost = table.loc[("long_loop:hydro", "process_loss")]
    assert lost[["B", "FeCo"]].to_numpy() == pytest.approx(feed[["B", "FeCo"]].to_numpy())

    def shares(row):
        return (row / row.sum()).to_numpy()

    for plant, to in (("short", "magnet_making"), ("bond", "bonded_making")):
        powder, fed = table.loc[(f"hpms:{plant}", to)], table.loc[("scrap_store", f"hpms:{plant}")]
        assert shares(powder) == pytest.approx(shares(fed))
    # powder waits in bonded making across year ends, so annual sums mix neighbouring years a little
    assert shares(table.loc[("bonded_making", "market")]) == pytest.approx(
        shares(table.loc[("hpms:bond", "bonded_making")]), rel=1e-3)
    made = table.loc[("magnet_making", "market")]
    assert shares(table.loc[("magnet_making", "scrap_store")]) == pytest.approx(shares(made), rel=1e-6)


@pytest.mark.parametrize("mode", ["expected", "stochastic"])
def test_element_table_sums_to_the_flows(mode):
    """flows_by_element summed over elements equals flows summed over segments, in both modes
    (sim.run has checked every element's balance in every node); no element flow is negative."""
    result = sim.run(full_feature_config(mode, replications=2), workers=1)
    keys = ["replication", "year", "origin", "from_node", "to_node"]
    by_element = result.element_flows.groupby(keys, observed=True)["mass_t"].sum()
    by_segment = result.flows.groupby(keys, observed=True)["mass_t"].sum()
    pd.testing.assert_series_equal(by_element, by_segment, check_exact=False, rtol=1e-9)
    assert set(result.element_flows["element"]) == set(ELEMENTS)
    assert (result.element_flows["mass_t"] >= -1e-12).all()


def test_element_check_catches_what_the_mass_check_cannot():
    """1 kg of Dy booked as Nd on one flow keeps every mass balance and breaks the Nd and Dy balances."""
    params = sim.parameters(full_feature_config())
    record, n_years = Simulation(params).run(), len(params.years)
    check_elements(record.graph, record.element_flows, record.element_stocks, n_years)
    flow = record.element_flows[("collection", "dismantling", "recycled")]
    flow[3, 0, DY] -= 1.0
    flow[3, 0, ELEMENTS.index("Nd")] += 1.0
    check(record.graph, record.flows, record.stocks, n_years)
    # Nd (gained at collection's outflow) comes first in element order, then Dy
    with pytest.raises(sim.MassBalanceError, match="Nd balance broken at node 'collection', replication 0, "
                                                   "year index 3"):
        check_elements(record.graph, record.element_flows, record.element_stocks, n_years)


def test_run_fails_when_a_node_changes_composition(monkeypatch):
    """A scrap store that turns 1 % of each deposit's Dy into iron (mass kept) fails sim.run."""
    deposit = ScrapStore.deposit

    def alchemy(self, year, lot, exportable=True):
        lot = lot.copy()
        moved = lot[:, DY] * 0.01
        lot[:, DY] -= moved
        lot[:, ELEMENTS.index("FeCo")] += moved
        return deposit(self, year, lot, exportable)

    monkeypatch.setattr(ScrapStore, "deposit", alchemy)
    with pytest.raises(sim.MassBalanceError, match="Dy balance broken at node 'scrap_store'"):
        sim.run(full_feature_config())


def test_element_kpis_by_hand():
    """Demand in Dy is each use's demand at its own composition (1.2 t/yr at 5 % + 1.2 t/yr at
    1 %). Only HDD magnets are collected and re-sintered (no swarf, no imported scrap): recycled
    material carries 1 % Dy and 24 % Nd, so the recycled share of Dy is below the recycled content
    (primary EV magnets carry 5 %)."""
    cfg = two_segments(market={"other_uses": "0 t/yr"}, scrap_store={"imported_scrap": "0 t/yr"},
                       industry={"magnet_making": {"capacity": "100 t/yr", "swarf_share": 0.0}})
    cfg["segments"]["ev"]["collection_rate"] = 0.0
    kpis = sim.run(cfg).kpis.set_index("year")
    assert kpis["dy_demand_t"].to_numpy() == pytest.approx(np.full(len(kpis), 1.2 * 0.05 + 1.2 * 0.01))
    recycling = kpis[kpis["recycled_supply_t"] > 0]
    assert len(recycling) > 3
    assert recycling["dy_recycled_t"].to_numpy() == pytest.approx(0.01 * recycling["recycled_supply_t"].to_numpy())
    assert recycling["nd_recycled_t"].to_numpy() == pytest.approx(0.24 * recycling["recycled_supply_t"].to_numpy())
    assert (recycling["recycled_share_Dy"] < recycling["recycled_content"]).all()
    assert recycling["dy_tb_recovered_t"].to_numpy() == pytest.approx(recycling["dy_recycled_t"].to_numpy())
    # without a grade table HDD magnets (1 % Dy) also serve EV demand (5 %): Dy delivered falls short
    # in the years region-made primary magnets do not make up the EV magnets' Dy
    none = kpis[kpis["recycled_supply_t"] == 0]
    assert len(none) and none["dy_delivered_t"].to_numpy() == pytest.approx(none["dy_demand_t"].to_numpy())
    assert (recycling["dy_delivered_t"] <= recycling["dy_demand_t"] + 1e-12).all()
    assert (recycling["dy_delivered_t"] < recycling["dy_demand_t"]).sum() >= len(recycling) // 2


def _two_vintages(rng=None):
    """Units of 1 kg entering uniformly over a year and staying exactly 1.5 yr: a vintage leaves
    half in its second year, half in its third. Vintage A (year 0) at 5 % Dy, B (year 1) at 1 %."""
    stock = CohortStock([Lifetime("fixed", mean=1.5)], 1, 1.0, 6, rng, n_elements=lots.N_ELEMENTS)
    left = []
    for k, shares in enumerate([EV_SHARES, HDD_SHARES, None, None]):
        if shares is not None:
            units = 10.0 if rng is None else 1000.0
            stock.place(k, np.array([units]), units * shares[None, :])
        before = stock.units.copy()
        units, content = stock.depart_with_content(k)
        left.append((before - stock.units, units, content))
    return left


def test_each_vintage_leaves_use_with_its_own_composition():
    """Year 1: half of A leaves (5 kg, 0.25 kg Dy). Year 2: the other half of A and half of B,
    0.25 + 0.05 = 0.30 kg Dy in 10 kg (a well-mixed stock, 5 kg of A and 10 of B, would send 0.233).
    Year 3: the rest of B, 0.05 kg Dy."""
    left = _two_vintages()
    assert [units[0] for _, units, _ in left] == pytest.approx([0.0, 5.0, 10.0, 5.0])
    assert [content[0, DY] for _, _, content in left] == pytest.approx([0.0, 0.25, 0.30, 0.05])
    for _, units, content in left:
        assert content.sum() == pytest.approx(units.sum())


def test_elements_follow_the_units_drawn_per_vintage():
    """Stochastic: whatever the binomial draws, the Dy leaving is 5 % of the A units and 1 % of the
    B units drawn that year, and all of it has left once every unit has."""
    left = _two_vintages(np.random.default_rng(3))
    for by_cohort, units, content in left:
        assert content[0, DY] == pytest.approx(0.05 * by_cohort[0, 0] + 0.01 * by_cohort[0, 1])
        assert content.sum() == pytest.approx(units.sum())
    assert sum(units[0] for _, units, _ in left) == pytest.approx(2000.0)
    assert sum(content[0, DY] for _, _, content in left) == pytest.approx(1000 * 0.05 + 1000 * 0.01)


@pytest.mark.parametrize("window, max_age", [(1, None), (1, 7), (3, None), (3, 8), (12, None)])
def test_each_cohort_leaves_at_the_hazard_of_its_age(window, max_age):
    """Whatever the cohort width and truncation, each step a cohort loses its units times the
    hazard at its age (step minus the step it opened), and its content with them; cohorts past
    the truncation age are empty."""
    lifetimes = [Lifetime("weibull", shape=2.0, scale=1.0), Lifetime("lognormal", mean=0.8, std=0.5)]
    stock = CohortStock(lifetimes, window, 0.25, 40, max_age_steps=max_age, n_elements=2)
    per_unit = np.array([[1.0, 0.5], [2.0, 0.25]])  # kg of each element per unit, by segment
    for k in range(40):
        stock.place(k, np.array([1.0, 3.0]), np.array([1.0, 3.0])[:, None] * per_unit)
        before = stock.units.copy()
        cohorts = np.arange(k // window + 1)
        ages = k - window * cohorts
        alive = ages < stock.n_ages
        assert not before[:, cohorts[~alive]].any()
        units, content = stock.depart_with_content(k)
        expected = (before[:, cohorts[alive]] * stock.hazard[:, ages[alive]]).sum(axis=1)
        assert units == pytest.approx(expected, rel=1e-12)
        assert content == pytest.approx(units[:, None] * per_unit, rel=1e-12)
