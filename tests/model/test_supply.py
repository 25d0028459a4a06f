"""Primary supply under licence regimes and the stockpile, against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.config.supply import Licence
from sim.config.values import ELEMENTS
from sim.model import graph as g
from sim.model.simulation import Simulation
from sim.model.supply import PrimarySupply, controls, step_share
from sim.model.supply import Stockpile as StockpileNode

MONTH = 1 / 12
DY, TB = ELEMENTS.index("Dy"), ELEMENTS.index("Tb")


def regime(**fields) -> Licence:
    base = dict(origin="china", elements=("Dy", "Tb"), forms=("magnets",), start=2025 + 3 * MONTH,
                end=2026.0, approval_share=0.5, delay=MONTH, windows=((2025 + 4 * MONTH, 2025 + 6 * MONTH, 0.1),),
                exempt=(), cancel_share=1.0)
    return Licence(**{**base, **fields})


def monthly(licence: Licence, form: str = "magnets", year: int = 2025) -> list[float]:
    return [step_share(licence, form, year + m * MONTH, year + (m + 1) * MONTH) for m in range(12)]


def test_approval_share_delay_and_window_by_hand():
    # from April, approvals arrive a month after the application: April waits; May gets April's
    # approvals (0.5); June and July those of the May-June window (0.1); the regime ends with 2025
    shares = monthly(regime())
    assert shares == pytest.approx([1, 1, 1, 0, 0.5, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5, 0.5])
    assert monthly(regime(), year=2026) == pytest.approx([1] * 12)
    assert monthly(regime(), form="oxide_metal") == pytest.approx([1] * 12)  # not a form it controls


def test_a_step_averages_the_share_over_its_interval():
    # half a month of delay: April is half waiting (0), half April's approvals (0.5); May is half
    # April's approvals and half the window's (0.1)
    shares = monthly(regime(delay=MONTH / 2))
    assert shares[3] == pytest.approx(0.25)
    assert shares[4] == pytest.approx(0.3)
    # the same regime on half-month steps averages to the monthly values
    halves = [step_share(regime(delay=MONTH / 2), "magnets", 2025 + k * MONTH / 2, 2025 + (k + 1) * MONTH / 2)
              for k in range(24)]
    assert [(a + b) / 2 for a, b in zip(halves[::2], halves[1::2])] == pytest.approx(shares)


def test_exemption_from_a_date_within_a_month():
    # magnets in products exempt from 16 September (day 16 of 30): half of September is exempt
    licence = regime(forms=("magnets", "magnets_in_products"),
                     exempt=(("magnets_in_products", 2025 + 8 * MONTH + 15 / 30 * MONTH),))
    products, magnets = monthly(licence, "magnets_in_products"), monthly(licence, "magnets")
    assert products[:8] == pytest.approx(magnets[:8])
    assert products[8] == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)
    assert products[9:] == pytest.approx([1, 1, 1])
    assert magnets[8:] == pytest.approx([0.5] * 4)


def test_a_lot_is_controlled_if_it_contains_a_controlled_element():
    composition = np.array([[0.3, 0.0, 0.0, 0.0, 0.01, 0.69],  # Dy- and Tb-free
                            [0.28, 0.0, 0.02, 0.0, 0.01, 0.69],  # Dy
                            [0.29, 0.0, 0.0, 0.003, 0.01, 0.697]])  # Tb only
    assert controls(regime(), composition).tolist() == [False, True, True]
    assert controls(regime(elements=("Dy",)), composition).tolist() == [False, True, False]


def one_segment(composition: str, *policy: str) -> sim.Params:
    """One EV segment of 100 units a month at 1 kg, every magnet imported."""
    return sim.parameters(sim.load_config([
        "plants=none", "industry.magnet_making.capacity=0 t/yr", "industry.bonded_making.capacity=0 t/yr",
        "~segments", "+segments={ev: {placed_on_market: 1200, magnet_per_unit: 1 kg, "
        "lifetime: {distribution: fixed, mean: 10 yr}, collection_rate: 0.5, liberation_rate: 0.5, "
        f"composition: {composition}}}}}", "supply.china_share.magnets=0.8", *policy]))


LICENCE = ("policy.licences=[{elements: [Dy, Tb], forms: [magnets], from: '2025-04', to: '2025-12', "
           "approval_share: 0.5, delay: 1 month, windows: [{from: '2025-05', to: '2025-06', approval_share: 0.1}], "
           "cancel_share: 1}]")  # what is not approved is lost


def test_supply_of_a_controlled_and_an_uncontrolled_lot_on_one_segment():
    asked = np.array([100.0, 0.0])  # kg for the segment, none for other uses
    dy = PrimarySupply(one_segment("{Nd: 0.3, Dy: 0.02, B: 0.01, FeCo: 0.67}", LICENCE))
    free = PrimarySupply(one_segment("{Nd: 0.32, B: 0.01, FeCo: 0.67}", LICENCE))
    june = 2025 + 5 * MONTH
    dy.begin(2025, june, asked)
    # China's 80 % at the window's 0.1 plus the rest of the world's 20 %
    assert dy.share(2025, june, "magnets", asked) == pytest.approx(0.2 + 0.8 * 0.1)
    by_origin = dy.by_origin("magnets", np.array([28.0, 0.0])[:, None] * dy.composition)  # 28 kg arrived
    assert by_origin.sum(axis=1) == pytest.approx([8.0, 20.0])
    assert by_origin[:, DY] == pytest.approx([8.0 * 0.02, 20.0 * 0.02])
    assert free.share(2025, june, "magnets", asked) == 1.0  # a Dy- and Tb-free magnet is not controlled
    assert dy.share(2024, 2024 + 5 * MONTH, "magnets", asked) == 1.0  # before start_year: history


def test_licensed_imports_and_the_shortage_on_one_segment():
    run = sim.run(one_segment("{Nd: 0.3, Dy: 0.02, B: 0.01, FeCo: 0.67}", LICENCE, "output.figures=false"))
    k = run.kpis.set_index("year")
    # 100 kg a month; China's 80 kg get 1 - 0 (Jan-Mar), 0 (Apr), 0.5 (May), 0.1 (Jun, Jul), 0.5 (Aug-Dec)
    china = 80 * (3 + 0 + 0.5 + 0.1 + 0.1 + 0.5 * 5)
    assert k.at[2025, "shortage_t"] * 1e3 == pytest.approx(1200 - 240 - china)
    assert k.at[2026, "shortage_t"] == 0
    flows = run.flows[run.flows["year"] == 2025].groupby(["from_node", "to_node"])["mass_t"].sum() * 1e3
    assert flows["china", "magnet_imports"] == pytest.approx(china)
    assert flows["rest_of_world", "magnet_imports"] == pytest.approx(240)
    assert k.at[2025, "dy_supply_china_t"] * 1e3 == pytest.approx(0.02 * china)
    assert k.at[2025, "self_sufficiency_Dy"] == pytest.approx(0.02 * 240 / (0.02 * 1200))


def stockpile(elements: str = "[Dy, Tb]") -> StockpileNode:
    """A stockpile of two months of demand, bought over four months from January 2025."""
    return StockpileNode(one_segment("{Nd: 0.3, Dy: 0.02, B: 0.01, FeCo: 0.67}", "policy.stockpile.size_months=2",
                                     "policy.stockpile.fill_months=4", f"policy.stockpile.elements={elements}"))


def test_stockpile_fills_by_hand():
    node = stockpile()
    demand = np.zeros(len(ELEMENTS))
    demand[DY] = 120.0  # kg a month, monthly steps
    # target 2 months = 240 kg, bought over 4 months: 60 kg a month until full
    held = [node.fill(2025 + m * MONTH, demand, MONTH)[DY] for m in range(6)]
    assert held == pytest.approx([60, 60, 60, 60, 0, 0])
    assert node.element_stock()[DY] == pytest.approx(240)
    assert node.stock().sum() == pytest.approx(240)  # mass = the elements it holds
    assert node.fill(2024.5, demand, MONTH).sum() == 0  # before fill_from


def test_stockpile_releases_by_hand():
    node = stockpile()
    node.held[DY], node.held[TB] = 240.0, 10.0
    mix = np.zeros(len(ELEMENTS))
    mix[[DY, TB]] = 0.05, 0.01
    # 1000 kg of feed missing: Dy would allow 4800 kg, Tb 1000 kg
    covered, released = node.release(1000.0, mix, ("Dy", "Tb"))
    assert covered == pytest.approx(1000)
    assert released[DY] == pytest.approx(50) and released[TB] == pytest.approx(10)
    assert node.held[DY] == pytest.approx(190) and node.held[TB] == pytest.approx(0)
    # no Tb left: the feed needs Tb, so nothing more is released
    assert node.release(1000.0, mix, ("Dy", "Tb"))[0] == 0
    # only Dy short: Dy alone is released
    covered, released = node.release(1000.0, mix, ("Dy",))
    assert covered == pytest.approx(1000) and released[TB] == 0 and released[DY] == pytest.approx(50)
    # a general shock cuts Nd too, which the stockpile does not hold
    assert node.release(1000.0, mix, ELEMENTS)[0] == 0


def test_the_stockpile_node_balances_in_a_run():
    run = sim.run(sim.load_config(["policy=stockpile", "output.figures=false"]))
    flows = run.flows.groupby(["year", "from_node", "to_node"])["mass_t"].sum()
    stock = run.stocks[run.stocks["node"] == g.STOCKPILE].groupby("year")["mass_t"].sum()
    years = sorted(run.kpis["year"])
    bought = np.array([sum(flows.get((y, o, g.STOCKPILE), 0.0) for o in (g.CHINA, g.REST_OF_WORLD)) for y in years])
    released = np.array([flows.get((y, g.STOCKPILE, g.MAGNET_MAKING), 0.0) for y in years])
    assert released[years.index(2028)] > 0 and released[years.index(2027)] == 0
    closing = np.cumsum(bought - released)
    np.testing.assert_allclose(stock.reindex(years).to_numpy(), closing, rtol=1e-9, atol=1e-9)


def test_the_stockpile_balances_by_element_and_holds_only_dy_and_tb():
    run = sim.run(sim.load_config(["policy=stockpile", "output.figures=false"]))
    table = run.element_flows
    into = table[table["to_node"] == g.STOCKPILE].groupby(["element", "year"])["mass_t"].sum()
    out = table[table["from_node"] == g.STOCKPILE].groupby(["element", "year"])["mass_t"].sum()
    years = sorted(run.kpis["year"])
    k = run.kpis.set_index("year")
    for element in ELEMENTS:
        net = np.cumsum([into.get((element, y), 0.0) - out.get((element, y), 0.0) for y in years])
        if element in ("Dy", "Tb"):
            # the stock by element is the cover times a month of demand (KPIs), and the flows add up to it
            held = (k[f"stockpile_cover_months_{element}"] * k[f"{element.lower()}_demand_t"] / 12).to_numpy()
            np.testing.assert_allclose(net, held, rtol=1e-9, atol=1e-9)
            assert net.max() > 0
        else:
            assert np.abs(net).max() == 0 and into.get(element) is None


def test_supply_by_origin_is_what_leaves_the_origin_nodes():
    run = sim.run(sim.load_config(["policy=licence_2025", "output.figures=false"]))
    table = run.element_flows
    k = run.kpis.set_index("year")
    for origin in (g.CHINA, g.REST_OF_WORLD):
        for element in ("Dy", "Tb"):
            sent = table[(table["from_node"] == origin) & (table["element"] == element)].groupby("year")["mass_t"].sum()
            np.testing.assert_allclose(k[f"{element.lower()}_supply_{origin}_t"], sent.reindex(k.index, fill_value=0))
    # every form node passes on what it receives, element by element
    for node in (g.PRIMARY_SUPPLY, g.MAGNET_IMPORTS, g.PRODUCT_IMPORTS):
        into = table[table["to_node"] == node].groupby(["year", "element"])["mass_t"].sum()
        out = table[table["from_node"] == node].groupby(["year", "element"])["mass_t"].sum()
        np.testing.assert_allclose(into.sort_index(), out.reindex(into.index).sort_index(), rtol=1e-12)
    # 2025: the requests the licences held back in spring arrive within the year, so China's Dy
    # over the year is that of a year without licences and nothing is short; the rest of the world
    # makes up nothing in 2025, so its Dy does not rise
    base = sim.run(sim.load_config(["output.figures=false"]))
    assert k.at[2025, "shortage_t"] == pytest.approx(0, abs=1e-9)
    placed = [f[(f["year"] == 2025) & (f["to_node"] == g.IN_USE)]["mass_t"].sum() for f in (run.flows, base.flows)]
    assert placed[0] == pytest.approx(placed[1], rel=1e-9)
    base = base.kpis.set_index("year")
    assert k.at[2025, "dy_supply_china_t"] == pytest.approx(base.at[2025, "dy_supply_china_t"], rel=0.01)
    assert k.at[2025, "dy_supply_rest_of_world_t"] <= base.at[2025, "dy_supply_rest_of_world_t"] * (1 + 1e-9)


def monthly_imports(params: sim.Params) -> tuple[dict[int, float], dict[int, float], object]:
    """Imported magnets from China and magnets placed [kg] per month of 2025, and the run's record."""
    simulation = Simulation(params)
    deliver, china, placed = simulation.market.deliver, {}, {}

    def recording(year, t, *args):
        delivery = deliver(year, t, *args)
        if year == 2025:
            month = round((t - 2025) * 12) + 1
            china[month] = simulation.supply.by_origin("magnets", delivery.imported_magnets)[0].sum()
            placed[month] = (delivery.primary + delivery.post_consumer + delivery.pre_consumer).sum()
        return delivery

    simulation.market.deliver = recording
    return china, placed, simulation.run()


# China's Dy magnets need a licence from February to September; the applications of February and
# March (the window) get nothing, later ones everything; approvals arrive a month after applying
BACKLOG = ("policy.licences=[{elements: [Dy, Tb], forms: [magnets], from: '2025-02', to: '2025-09', "
           "approval_share: 1.0, delay: 1 month, windows: [{from: '2025-02', to: '2025-03', approval_share: 0}], "
           "cancel_share: %s}]")


def test_requests_not_approved_wait_and_arrive_when_approved():
    # China's 80 kg a month arrive at 1 (Jan), 0 (Feb: waiting for the first approvals), 0 (Mar and
    # Apr: the window's applications), then 1 from May, when the waiting 3 x 80 kg arrive with May's;
    # the rest of the world's 20 kg arrive every month
    params = one_segment("{Nd: 0.3, Dy: 0.02, B: 0.01, FeCo: 0.67}", BACKLOG % 0, "output.figures=false")
    china, placed, record = monthly_imports(params)
    assert [china[m] for m in range(1, 13)] == pytest.approx([80, 0, 0, 0, 320, *[80] * 7])
    assert [placed[m] for m in range(1, 13)] == pytest.approx([100, 20, 20, 20, 340, *[100] * 7])
    assert sum(placed.values()) == pytest.approx(1200)  # over the year, all that was asked
    k = sim.run(params).kpis.set_index("year")
    assert k.at[2025, "shortage_t"] == pytest.approx(0, abs=1e-9)


def test_waiting_requests_are_withdrawn_at_the_cancel_share():
    # half of what waits is withdrawn a month: 40 of February's 80 kg wait; March 80 + 40 -> 60 wait;
    # April 80 + 60 -> 70 wait and arrive in May with May's 80; 40 + 60 + 70 kg are lost
    params = one_segment("{Nd: 0.3, Dy: 0.02, B: 0.01, FeCo: 0.67}", BACKLOG % 0.5, "output.figures=false")
    china, placed, _ = monthly_imports(params)
    assert [china[m] for m in range(1, 13)] == pytest.approx([80, 0, 0, 0, 150, *[80] * 7])
    run = sim.run(params)
    assert run.kpis.set_index("year").at[2025, "shortage_t"] * 1e3 == pytest.approx(40 + 60 + 70)
    flows = run.flows
    into = flows[(flows["year"] == 2025) & (flows["to_node"] == g.IN_USE)]["mass_t"].sum() * 1e3
    assert into == pytest.approx(1200 - 170)  # the market places what arrived, no more


def test_the_rest_of_the_world_makes_up_a_share_of_a_china_cut():
    asked = np.array([100.0, 0.0])
    june = 2025 + 5 * MONTH
    supply = PrimarySupply(one_segment("{Nd: 0.3, Dy: 0.02, B: 0.01, FeCo: 0.67}", LICENCE,
                                       "supply.rest_of_world_make_up=0.5"))
    supply.begin(2025, june, asked)
    # China's 80 kg at 0.1 give 8 kg; the rest of the world its 20 kg and half of the 72 kg withheld
    assert supply.share(2025, june, "magnets", asked) == pytest.approx(0.08 + 0.2 + 0.5 * 0.72)
    assert supply.arrived["magnets"][:, 0] == pytest.approx([8, 56])
    # the make-up answers only a licence cut: without one nothing changes
    supply.begin(2025, 2025.0, asked)
    assert supply.arrived == {} and supply.share(2025, 2025.0, "magnets", asked) == 1.0
    assert supply.arrived["magnets"][:, 0] == pytest.approx([80, 20])


def test_a_dy_licence_cuts_only_lots_with_dy():
    dy_only = ("policy.licences=[{elements: [Dy], forms: [oxide_metal, magnets, magnets_in_products], "
               "from: '2025-04', months: 6, approval_share: 0, cancel_share: 1}]")
    supply = PrimarySupply(one_segment("{Nd: 0.3, Dy: 0.02, B: 0.01, FeCo: 0.67}", dy_only))
    june = 2025 + 5 * MONTH
    supply.begin(2025, june, np.array([100.0, 0.0]))
    composition = np.zeros((3, len(ELEMENTS)))
    composition[:, ELEMENTS.index("Nd")], composition[:, ELEMENTS.index("FeCo")] = 0.3, 0.67
    composition[0, DY] = composition[1, TB] = composition[2, ELEMENTS.index("Nd")] = 0.03  # Dy, Tb, neither
    assert supply.item_shares(2025, june, "magnets", composition) == pytest.approx([0.2, 1.0, 1.0])


def test_a_dy_embargo_leaves_tb_only_magnets_untouched():
    # two EV segments of 100 kg a month, every magnet imported (80 % from China): one with Dy, one
    # with Tb only; China's Dy-containing magnets stop for six months and nothing waits
    segments = ("+segments={%s: {placed_on_market: 1200, magnet_per_unit: 1 kg, lifetime: {distribution: fixed, "
                "mean: 10 yr}, collection_rate: 0.5, liberation_rate: 0.5, composition: %s}}")
    params = sim.parameters(sim.load_config([
        "plants=none", "industry.magnet_making.capacity=0 t/yr", "industry.bonded_making.capacity=0 t/yr",
        "~segments", segments % ("dy", "{Nd: 0.3, Dy: 0.02, B: 0.01, FeCo: 0.67}"),
        segments % ("tb", "{Nd: 0.31, Tb: 0.01, B: 0.01, FeCo: 0.67}"), "supply.china_share.magnets=0.8",
        "policy.licences=[{elements: [Dy], forms: [magnets], from: '2025-04', months: 6, approval_share: 0, "
        "cancel_share: 1}]", "output.figures=false"]))
    grades = sim.run(params).shortage_by_grade
    short = grades[grades["year"] == 2025].groupby("segment", observed=True)["shortage_t"].sum() * 1e3
    assert short["dy"] == pytest.approx(6 * 80)
    assert short["tb"] == 0


def test_region_feed_takes_dy_and_tb_from_one_pool_by_hand():
    # a cell needing 2 kg of Dy + Tb (100 kg at 2 %) whose licensed oxide arrives at half, and a
    # Dy-free cell; 0.5 kg of recovered oxide comes first, so licensed primary brings half of the
    # other 1.5 kg: (0.5 + 0.75) / 2 of the cell can be made; the Dy-free cell is not limited
    supply = PrimarySupply(one_segment("{Nd: 0.3, Dy: 0.02, B: 0.01, FeCo: 0.67}"))
    supply.begin(2025, 2025.0, np.array([100.0, 100.0]))
    served = supply.region_feed(2025, 2025.0, np.array([100.0, 100.0]), np.array([0.02, 0.0]),
                                np.array([0.5, 1.0]), 1.0, 0.5, 1.0, 1)
    assert served == pytest.approx([0.625, 1.0])
    # enough recovered oxide for the whole need: nothing limits the cell
    assert supply.region_feed(2025, 2025.0, np.array([100.0, 100.0]), np.array([0.02, 0.0]),
                              np.array([0.5, 1.0]), 1.0, 3.0, 1.0, 1) == pytest.approx([1.0, 1.0])
