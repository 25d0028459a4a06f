"""The market's lot arithmetic (compiled loops) against the same quantities written as plain array
expressions, on random lots, and the caps of placing against the room each grade group may serve."""

from __future__ import annotations

import numpy as np
import pytest
from random_lots import random_lot

from sim.model.grades import TOLERANCE, caps, place
from sim.model.lots import HEAVY
from sim.model.market import (
    _caps_of,
    _delivered,
    _fill,
    _heavy_left,
    _mass_and_heavy,
    _primary_lots,
    _to_order,
    _to_uses,
    make_up,
    make_up_mass,
)

SEEDS = range(25)


@pytest.mark.parametrize("seed", SEEDS)
def test_mass_and_heavy_share_of_each_origin(seed):
    rng = np.random.default_rng(seed)
    lot = random_lot(rng, int(rng.integers(1, 20)))
    mass, heavy = _mass_and_heavy(lot)
    total = lot.sum(axis=1)
    assert mass == pytest.approx(total)
    expected = np.divide(lot[:, HEAVY].sum(axis=1), total, out=np.zeros(len(total)), where=total > 0)
    assert heavy == pytest.approx(expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_placed_magnets_keep_each_origins_composition(seed):
    """kg placed [origin, slot x cell] of a lot [origin, element]: each destination slot gets every
    origin's kg in that origin's element shares; the last origin (swarf) apart."""
    rng = np.random.default_rng(seed)
    n_origins, n_slots, n_cells = int(rng.integers(2, 20)), int(rng.integers(1, 20)), int(rng.integers(1, 13))
    lot = random_lot(rng, n_origins)
    placed = rng.uniform(0, 5, (n_origins, n_slots * n_cells)) * (rng.random((n_origins, n_slots * n_cells)) < 0.3)
    post, pre = _to_uses(placed, lot, n_cells)
    mass = lot.sum(axis=1)
    shares = np.divide(lot, mass[:, None], out=np.zeros(lot.shape), where=mass[:, None] > 0)
    by_slot = placed.reshape(n_origins, n_slots, n_cells).sum(axis=2)
    assert post == pytest.approx(by_slot[:-1].T @ shares[:-1], abs=1e-12)
    assert pre == pytest.approx(by_slot[-1][:, None] * shares[-1], abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_primary_feed_that_makes_up_recycled_elements(seed):
    """make_up_mass: the primary kg that, with the recycled elements, makes magnets of the slot's
    composition with no element short; make_up: the element shares of that feed."""
    rng = np.random.default_rng(seed)
    n_slots = int(rng.integers(1, 20))
    composition = rng.uniform(0, 1, (n_slots, 6)) * (rng.random((n_slots, 6)) < 0.8)
    composition[:, 0] += 0.1  # every slot's magnets have some of the first element
    composition /= composition.sum(axis=1, keepdims=True)
    recycled = random_lot(rng, n_slots)
    ratio = np.divide(recycled, composition, out=np.zeros(recycled.shape), where=composition > 0)
    assert make_up_mass(recycled, composition) == pytest.approx(np.maximum(ratio.max(axis=1) - recycled.sum(axis=1), 0))
    target = recycled + rng.uniform(0, 5, recycled.shape) * (rng.random(recycled.shape) < 0.5)
    need = np.maximum(target - recycled, 0.0)
    total = need.sum(axis=1, keepdims=True)
    expected = np.where(total > 0, need / np.where(total > 0, total, 1.0), composition)
    assert make_up(target, recycled, composition) == pytest.approx(expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_fill_goes_to_the_preferred_part_first(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 20))
    room = rng.uniform(0, 10, n) * (rng.random(n) < 0.8)
    prefer = rng.uniform(0, 10, n)
    kg = rng.uniform(0, 1.2) * room.sum()
    got = _fill(room, kg, prefer)
    first = np.minimum(prefer, room)
    # the preferred part pro rata, then the rest of the room pro rata, each at most all of it
    to_first = first * min(kg / first.sum(), 1.0) if first.sum() > 0 else np.zeros(n)
    rest = room - to_first
    left = kg - to_first.sum()
    expected = to_first + (rest * min(left / rest.sum(), 1.0) if left > 0 and rest.sum() > 0 else 0.0)
    assert got == pytest.approx(expected)
    assert got.sum() == pytest.approx(min(kg, room.sum()))
    assert np.all(got <= room + 1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_caps_are_the_most_every_order_of_placing_fits(seed):
    """By rising Dy + Tb share, the caps of the groups up to each one fill at most the room of the
    cells those groups may serve, and exactly that room where a group is cut; every lot at its cap
    is then placed in full."""
    rng = np.random.default_rng(seed)
    n_cells, n_lots = int(rng.integers(1, 40)), int(rng.integers(1, 20))
    room = rng.uniform(0, 10, n_cells) * (rng.random(n_cells) < 0.8)
    need = rng.choice([0.0, 0.01, 0.02, 0.035, 0.05], n_cells)
    share = rng.choice([0.0, 0.012, 0.02, 0.04, 0.06], n_lots)
    ready = rng.uniform(0, room.sum() / 2 + 1, n_lots) * (rng.random(n_lots) < 0.8)
    cap = caps(room, need, ready, share)
    assert np.all(cap <= ready + 1e-12) and np.all(cap >= 0)
    groups = np.unique(share[ready > 0])
    for h in groups:
        upto = (share <= h) & (ready > 0)
        servable = room[need <= h + TOLERANCE].sum()
        assert cap[upto].sum() <= servable + 1e-9
        cut = (share == h) & (ready > 0) & (cap < ready - 1e-12)
        if cut.any():  # a group held back fills, with those below it, all the room they may serve
            assert cap[upto].sum() == pytest.approx(servable)
    placed, _ = place(room, need, cap, share, np.ones(n_cells), np.zeros(n_cells, dtype=bool), "proportional")
    assert placed.sum(axis=1) == pytest.approx(cap, abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_caps_of_ready_material_are_the_caps_of_its_magnets(seed):
    """Caps in kg of ready material are the caps of the magnets it makes, divided by the magnets
    per kg."""
    rng = np.random.default_rng(seed)
    n_cells, n_origins = 2 * int(rng.integers(1, 6)), int(rng.integers(1, 12))
    room, need = rng.uniform(0, 50, n_cells), rng.choice([0.0, 0.01, 0.03, 0.06], n_cells)
    ready, scale = random_lot(rng, n_origins), float(rng.uniform(0.5, 1.0))
    magnets = ready * scale
    mass = magnets.sum(axis=1)
    heavy = np.divide(magnets[:, HEAVY].sum(axis=1), mass, out=np.zeros(n_origins), where=mass > 0)
    assert _caps_of(room, need, ready, scale) == pytest.approx(caps(room, need, mass, heavy) / scale)


@pytest.mark.parametrize("seed", SEEDS)
def test_deliveries_by_cell_and_slot_add_up_every_origin(seed):
    rng = np.random.default_rng(seed)
    n_origins, n_slots, n_cells = int(rng.integers(1, 12)), int(rng.integers(1, 12)), 2 * int(rng.integers(1, 6))
    placed = [rng.uniform(0, 5, (n_origins, n_slots * n_cells)) * (rng.random((n_origins, n_slots * n_cells)) < 0.4)
              for _ in range(3)]
    region, imported, in_products = (rng.uniform(0, 9, n_slots * n_cells) for _ in range(3))
    by_cell, by_slot, primary, delivered, imported_kg, products_kg = _delivered(*placed, region, imported,
                                                                               in_products, n_cells)
    recycled = sum(placed).sum(axis=0)
    assert by_cell == pytest.approx(recycled)
    assert by_slot == pytest.approx(recycled.reshape(n_slots, n_cells).sum(axis=1))
    assert primary == pytest.approx(region + imported + in_products)
    everything = recycled + region + imported + in_products
    assert delivered == pytest.approx(everything.reshape(n_slots, n_cells).sum(axis=1))
    assert (imported_kg, products_kg) == pytest.approx((imported.sum(), in_products.sum()))


@pytest.mark.parametrize("seed", SEEDS)
def test_heavy_rare_earths_left_beyond_what_placed_magnets_need(seed):
    rng = np.random.default_rng(seed)
    n_origins, n_cells = int(rng.integers(1, 12)), int(rng.integers(2, 30))
    separated = random_lot(rng, n_origins)
    need = rng.choice([0.0, 0.01, 0.05, 0.5], n_cells)
    placed = rng.uniform(0, 5, (n_origins, n_cells)) * (rng.random((n_origins, n_cells)) < 0.5)
    expected = max(separated[:, HEAVY].sum() - placed.sum(axis=0) @ need, 0.0)
    assert _heavy_left(separated, placed, need) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_magnets_made_to_order_and_the_primary_lots(seed):
    """_to_order: kg per slot of the feed make_up gives; _primary_lots: kg per slot at each slot's
    composition, the region-made lot added to all primary magnets."""
    rng = np.random.default_rng(seed)
    n_slots = int(rng.integers(1, 20))
    composition = rng.uniform(0.05, 1, (n_slots, 6))
    composition /= composition.sum(axis=1, keepdims=True)
    recycled = random_lot(rng, n_slots)
    kg, target = rng.uniform(0, 10, n_slots), recycled.sum(axis=1) + rng.uniform(0, 10, n_slots)
    expected = kg[:, None] * make_up(target[:, None] * composition, recycled, composition)
    assert _to_order(kg, target, recycled, composition) == pytest.approx(expected)
    to_products, to_imports = rng.uniform(0, 5, n_slots), rng.uniform(0, 5, n_slots)
    region_made = random_lot(rng, n_slots)
    primary, imported, in_products = _primary_lots(to_products, to_imports, region_made, composition)
    assert imported == pytest.approx(to_imports[:, None] * composition)
    assert in_products == pytest.approx(to_products[:, None] * composition)
    assert primary == pytest.approx((to_products + to_imports)[:, None] * composition + region_made)
