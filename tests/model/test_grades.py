"""Magnet grades: Dy + Tb needs by grade and segment, and where recycled magnets may go, by hand."""

from __future__ import annotations

import numpy as np
import pytest
from chain_scenarios import small_config

import sim
from sim.model.grades import GradeDemand, allocate, by_grade, caps, place

GRADES = {"N": {"dy_tb": 0.0}, "M": {"dy_tb": 0.01}, "SH": {"dy_tb": 0.04, "gbd_factor": 0.4}}


def params(**segment):
    config = small_config(grades=GRADES)
    config["segments"]["a"].update(segment)
    return sim.parameters(config)


def test_need_of_a_grade_with_gbd_and_dy_free_magnets():
    """SH at 4 % bulk, a GBD factor of 0.4 and half the magnets diffused from 2025: 4 x (1 - 0.5 x 0.6)
    = 2.8 % Dy+Tb; a quarter Dy-free: of 100 kg, 60 kg SH need 2.8 %, 20 kg SH need 0 (and 20 kg of
    N split alike)."""
    p = params(grade_mix={"N": 0.2, "SH": 0.8}, gbd_share={2024: 0.0, 2025: 0.5}, dy_free_share=0.25)
    demand = GradeDemand(p)
    kg, need = demand.cells(2025, np.array([100.0, 0.0]))
    # columns: N, M, SH made with Dy/Tb, then the same Dy-free
    assert kg[0] == pytest.approx([15.0, 0.0, 60.0, 5.0, 0.0, 20.0])
    assert need[0] == pytest.approx([0.0, 0.01, 0.028, 0.0, 0.0, 0.0])
    assert demand.need[2024 - p.history_start, 0, 2] == pytest.approx(0.04)  # before GBD: bulk
    assert by_grade(kg)[0] == pytest.approx([20.0, 0.0, 80.0])
    # Dy+Tb of the segment's new magnets: 0.8 x 2.8 % x 0.75 = 1.68 %
    assert demand.heavy_share(2025)[0] == pytest.approx(0.0168)


def test_a_segment_without_a_mix_takes_the_grade_its_composition_reaches():
    """Generic magnets (2.3 % Dy+Tb) reach M (1 %) but not SH (4 %)."""
    assert params().segments[0].grade_mix == (0.0, 1.0, 0.0)


#: three cells of 10 kg: EV magnets needing 2 % Dy+Tb, hard-disk magnets needing 1 %, N needing none
ROOM = np.array([10.0, 10.0, 10.0])
NEED = np.array([0.02, 0.01, 0.0])
NO_SCOPE = np.zeros(3, dtype=bool)


def test_recycled_magnets_serve_only_grades_their_dy_tb_supports():
    """Primary supply reaching every cell in full: 15 kg of hard-disk magnets (1.2 % Dy+Tb) can
    fill the 1 % and 0 % cells only, 7.5 kg each pro rata; 5 kg of wind magnets (4 %) then spread
    over the 10, 2.5 and 2.5 kg left: 3.33, 0.83, 0.83."""
    lots_kg, share = np.array([15.0, 5.0]), np.array([0.012, 0.04])
    placed, left = place(ROOM, NEED, lots_kg, share, np.ones(3), NO_SCOPE, "proportional")
    assert placed[0] == pytest.approx([0.0, 7.5, 7.5])
    assert placed[1] == pytest.approx([10 / 3, 2.5 / 3, 2.5 / 3])
    assert left == pytest.approx(ROOM - placed.sum(axis=0))


def test_recycled_magnets_go_first_where_primary_supply_does_not_reach():
    """Primary supply reaches only the Dy-free cell (order 1, the others 0): the hard-disk magnets fill
    the 1 % cell (10 kg) before the 0 % cell (5 kg); the wind magnets fill the EV cell."""
    placed, _ = place(ROOM, NEED, np.array([15.0, 5.0]), np.array([0.012, 0.04]), np.array([0.0, 0.0, 1.0]),
                      NO_SCOPE, "proportional")
    assert placed[0] == pytest.approx([0.0, 10.0, 5.0])
    assert placed[1] == pytest.approx([5.0, 0.0, 0.0])


def test_short_of_primary_supply_recycled_magnets_go_to_the_highest_grade_they_support():
    """No primary supply reaches any cell: 12 kg of wind magnets (4 %) fill the 2 % cell (10 kg)
    before the 1 % one (2 kg), and none goes to the Dy-free cell."""
    placed, left = place(ROOM, NEED, np.array([12.0]), np.array([0.04]), np.zeros(3), NO_SCOPE, "proportional")
    assert placed[0] == pytest.approx([10.0, 2.0, 0.0])
    assert left == pytest.approx([0.0, 8.0, 10.0])


def test_caps_keep_every_lot_placeable():
    """30 kg of hard-disk and 20 kg of wind magnets ready: the hard-disk ones may fill the 20 kg of
    cells they serve, the wind ones the 30 kg they serve less those 20 kg."""
    cap = caps(ROOM, NEED, np.array([30.0, 20.0]), np.array([0.012, 0.04]))
    assert cap == pytest.approx([20.0, 10.0])
    placed, left = place(ROOM, NEED, cap, np.array([0.012, 0.04]), np.zeros(3), NO_SCOPE, "proportional")
    assert placed.sum() == pytest.approx(30.0) and left == pytest.approx(np.zeros(3), abs=1e-12)


def sequential_place(room, need, lots_kg, share, in_scope, rule, order=None):
    """Reference: each group of lots (by rising share) in turn spread by `allocate` over the room
    left in the cells it may serve, tier by tier: cells of lower `order` first and, where it is
    below 1, those of higher need first, as the placing rule reads."""
    order = np.ones(len(room)) if order is None else order
    room, placed = room.copy(), np.zeros((len(lots_kg), len(room)))
    for h in np.unique(share[lots_kg > 0]):
        group = (share == h) & (lots_kg > 0)
        kg, into = lots_kg[group].sum(), np.zeros_like(room)
        eligible = need <= h + 1e-9
        tiers = []
        for level in np.unique(order[eligible]):
            cells = eligible & (order == level)
            tiers += [cells] if level >= 1.0 else [cells & (need == v) for v in np.unique(need[cells])[::-1]]
        for cells in tiers:
            part = allocate(np.where(cells, room, 0.0), kg, in_scope, rule)
            into, room, kg = into + part, room - part, kg - part.sum()
        placed[group] = lots_kg[group][:, None] / lots_kg[group].sum() * into[None, :]
    return placed, room


@pytest.mark.parametrize("rule", ["proportional", "preferential"])
@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("supply", ["full", "short"])
def test_placing_is_the_sequential_rule(rule, seed, supply):
    """`place` (which works on bands of cells in full supply and on whole tiers otherwise, not cell by
    cell) gives what spreading each group in turn, tier by tier, gives, for random rooms, needs,
    lots, scopes and shares of primary supply arriving, including lots that share a Dy + Tb
    content, cells no lot may serve and lots larger than the room."""
    rng = np.random.default_rng(seed)
    n_cells, n_lots = rng.integers(1, 30), rng.integers(1, 12)
    room = rng.choice([0.0, 1.0], n_cells, p=[0.2, 0.8]) * rng.uniform(0, 10, n_cells)
    need = rng.choice([0.0, 0.01, 0.02, 0.035, 0.05, 0.08], n_cells)
    share = rng.choice([0.0, 0.012, 0.02, 0.04, 0.06], n_lots)
    lots_kg = rng.choice([0.0, 1.0], n_lots, p=[0.2, 0.8]) * rng.uniform(0, room.sum() / 3 + 1, n_lots)
    in_scope = rng.random(n_cells) < 0.5
    order = np.ones(n_cells) if supply == "full" else rng.choice([0.0, 0.25, 0.5, 1.0], n_cells)
    placed, left = place(room, need, lots_kg, share, order, in_scope, rule)
    expected, expected_left = sequential_place(room, need, lots_kg, share, in_scope, rule, order)
    assert placed == pytest.approx(expected, abs=1e-9)
    assert left == pytest.approx(expected_left, abs=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_preferential_placing_with_no_room_in_the_scope_is_the_sequential_rule(seed):
    """Bonded magnets' room lies outside the target scope only: under the preferential rule every
    group finds no room in the scope and places it all in the other cells, as the reference does."""
    rng = np.random.default_rng(100 + seed)
    n_cells, n_lots = 12, 6
    in_scope = np.arange(n_cells) < 6
    room = np.where(in_scope, 0.0, rng.uniform(1, 10, n_cells))
    need = rng.choice([0.0, 0.01, 0.02, 0.035], n_cells)
    share = rng.choice([0.012, 0.02, 0.04], n_lots)
    lots_kg = rng.uniform(0, room.sum() / 4, n_lots)
    placed, left = place(room, need, lots_kg, share, np.ones(n_cells), in_scope, "preferential")
    expected, expected_left = sequential_place(room, need, lots_kg, share, in_scope, "preferential")
    assert placed.sum() > 0
    assert placed == pytest.approx(expected, abs=1e-9)
    assert left == pytest.approx(expected_left, abs=1e-9)
