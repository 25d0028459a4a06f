"""The flow graph: declared nodes and flows, plant nodes per plant, and a ledger that refuses what
the graph does not declare."""

import numpy as np
import pytest
from chain_scenarios import full_feature_config

import sim
from sim.model import graph as g
from sim.model import lots
from sim.model.balance import MassBalanceError, check
from sim.model.ledger import Ledger, add_lot, add_mass
from sim.model.simulation import Simulation

PLANTS = [("alpha", "hpms"), ("beta", "hpms"), ("gamma", "long_loop")]


def test_plant_nodes_are_made_per_plant():
    graph = g.FlowGraph(PLANTS)
    assert [n for n in graph.of_kind(g.STAGE) if ":" in n] == ["hpms:alpha", "hpms:beta", "long_loop:gamma"]
    assert graph["hpms:beta"].label == "HPMS beta"
    assert ("scrap_store", "hpms:alpha") in graph.flows and ("hpms:alpha", "magnet_making") in graph.flows
    assert ("hpms:alpha", "bonded_making") in graph.flows
    assert ("long_loop:gamma", "metal_alloy_making") in graph.flows
    assert ("hpms:alpha", "market") not in graph.flows  # HPMS powder is made into magnets first
    assert ("long_loop:gamma", "market") not in graph.flows  # a long loop makes separated oxides, not magnets
    assert "hpms:delta" not in graph


def test_graph_shape():
    """Sources only send, sinks only receive, every stage and store both receives and sends."""
    graph = g.FlowGraph(PLANTS)
    for node in graph.nodes:
        senders, receivers = graph.senders(node.name), graph.receivers(node.name)
        if node.kind == g.SOURCE:
            assert receivers and not senders, node.name
        elif node.kind == g.SINK:
            assert senders and not receivers, node.name
        else:
            assert senders and receivers, node.name
    assert set(graph.losses) == {"uncollected", "shredder_loss", "scrap_export", "oxide_export", "process_loss",
                                 "recycled_export"}
    assert all(s in graph and d in graph for s, d in graph.flows)


def test_ledger_refuses_an_undeclared_flow():
    """Collection cannot send straight to the market; the error names both nodes."""
    ledger = Ledger(g.FlowGraph(PLANTS), 2000, 3, 4)
    lot = np.ones((4, lots.N_ELEMENTS))
    ledger.move(2001, "collection", "dismantling", lot)
    with pytest.raises(g.UndeclaredFlowError, match="'collection' -> 'market'"):
        ledger.move(2001, "collection", "market", lot)
    with pytest.raises(g.UndeclaredFlowError, match="'scrap_store' -> 'hpms:delta'"):
        ledger.move_mass(2001, "scrap_store", "hpms:delta", lot[0], "pre_consumer")
    with pytest.raises(g.UndeclaredFlowError, match="'in_use' -> 'collection'"):
        ledger.move_segments(2001, "in_use", "collection", lot[:-1])
    assert list(ledger.flows) == [("collection", "dismantling", "recycled")]


def test_ledger_sums_moves_by_year():
    """Moves add up in their year's row of the flow's sums; history before start_year and empty
    material-only moves leave no trace, the `all` slot takes the material-only ones, and moves from
    the segments leave it empty."""
    ledger = Ledger(g.FlowGraph(PLANTS), 2000, 3, 4)
    lot = np.arange(4 * lots.N_ELEMENTS, dtype=float).reshape(4, lots.N_ELEMENTS)
    ledger.move(1999, "collection", "dismantling", lot)
    ledger.move(2001, "collection", "dismantling", lot)
    ledger.move(2001, "collection", "dismantling", lot)
    ledger.move_mass(2002, "collection", "dismantling", lot[0] + 1, "recycled")
    ledger.move_mass(2002, "scrap_import", "scrap_store", np.zeros(lots.N_ELEMENTS), "pre_consumer")
    ledger.move_segments(1999, "collection", "dismantling", lot[:-1])
    ledger.move_segments(2000, "collection", "dismantling", lot[:-1])
    expected = np.zeros((3, 4, lots.N_ELEMENTS))
    expected[0, :-1] = lot[:-1]
    expected[1] = 2 * lot
    expected[2, lots.ALL] = lot[0] + 1
    assert list(ledger.flows) == [("collection", "dismantling", "recycled")]
    np.testing.assert_array_equal(ledger.flows[("collection", "dismantling", "recycled")], expected)
    np.testing.assert_array_equal(ledger.mass_flows()[("collection", "dismantling", "recycled")], expected.sum(axis=2))


def test_bound_flows_sum_as_moves_do_and_join_in_the_order_they_first_moved():
    """The same moves made by Ledger's methods and by the compiled adders into bound sums give the
    same flows, listed in the order each flow first moved; a bound flow whose only moves were
    empty material-only ones is not a flow, and binding an undeclared flow fails at once."""
    keys = [("collection", "dismantling", "recycled"), ("scrap_import", "scrap_store", "pre_consumer"),
            ("dismantling", "scrap_store", "recycled")]
    lot = np.arange(4 * lots.N_ELEMENTS, dtype=float).reshape(4, lots.N_ELEMENTS)
    plain, bound = (Ledger(g.FlowGraph(PLANTS), 2000, 3, 4) for _ in range(2))
    plain.move(2000, "scrap_store", "hpms:alpha", lot)  # a flow that moves first, not bound
    bound.move(2000, "scrap_store", "hpms:alpha", lot)
    sums, seen = bound.bind(keys)
    # compiled code moves bound flows in the order of their keys
    plain.move_segments(2001, *keys[0][:2], lot[:-1])
    plain.move_mass(2001, *keys[1][:2], np.zeros(lots.N_ELEMENTS), "pre_consumer")
    plain.move(2001, *keys[2][:2], lot)
    plain.move(2002, *keys[0][:2], lot)
    assert add_lot(sums, seen, 0, 1, lot[:-1])  # the segments' rows alone
    assert not add_mass(sums, seen, 1, 1, np.zeros(lots.N_ELEMENTS))
    assert add_lot(sums, seen, 2, 1, lot)
    assert not add_lot(sums, seen, 0, 2, lot)  # seen before
    bound.adopt(keys, seen)
    assert list(bound.flows) == list(plain.flows) == [("scrap_store", "hpms:alpha", "recycled"), keys[0], keys[2]]
    for key, flow in plain.flows.items():
        np.testing.assert_array_equal(bound.flows[key], flow)
    expected = np.zeros((3, 4, lots.N_ELEMENTS))  # by hand: the segments' slots in 2001, all of it in 2002
    expected[1, :-1], expected[2] = lot[:-1], lot
    np.testing.assert_array_equal(bound.flows[keys[0]], expected)
    plain.move_mass(2002, *keys[1][:2], lot[0] + 1, "pre_consumer")  # a material-only move into `all`
    assert add_mass(sums, seen, 1, 2, lot[0] + 1)
    bound.adopt(keys, seen)
    assert list(bound.flows) == list(plain.flows)
    np.testing.assert_array_equal(bound.flows[keys[1]], plain.flows[keys[1]])
    with pytest.raises(g.UndeclaredFlowError, match="'in_use' -> 'collection'"):
        bound.bind([("in_use", "collection", "recycled")])


def test_a_run_fails_loudly_on_an_undeclared_flow(monkeypatch):
    """A model change that routes material around the graph stops the run."""
    from sim.model import simulation

    monkeypatch.setattr(simulation, "PROCESS_LOSS", "market")  # a move of metal and alloy making's loss
    with pytest.raises(g.UndeclaredFlowError, match="'metal_alloy_making' -> 'market'"):
        sim.run(full_feature_config())
    monkeypatch.undo()
    # a flow that compiled code records: refused when its sums are bound, before the run starts
    rerouted = tuple((src, "market" if dst == g.SHREDDER_LOSS else dst, origin)
                     for src, dst, origin in simulation.CHAIN_FLOWS)
    monkeypatch.setattr(simulation, "CHAIN_FLOWS", rerouted)
    with pytest.raises(g.UndeclaredFlowError, match="'dismantling' -> 'market'"):
        sim.run(full_feature_config())


def test_every_stage_and_store_of_a_run_is_checked():
    """The balance check needs a stock for every stage and store of the graph."""
    params = sim.parameters(full_feature_config())
    record = Simulation(params).run()
    assert set(record.stocks) == set(record.graph.balanced)
    del record.stocks["magnet_making"]
    with pytest.raises(MassBalanceError, match="'magnet_making'"):
        check(record.graph, record.flows, record.stocks, len(params.years))


def test_tables_name_only_graph_nodes():
    result = sim.run(full_feature_config())
    graph = result.graph
    names = set(result.flows["from_node"]) | set(result.flows["to_node"]) | set(result.stocks["node"])
    assert names <= {node.name for node in graph.nodes}
    routes = set(zip(result.flows["from_node"], result.flows["to_node"]))
    assert routes <= set(graph.flows)
