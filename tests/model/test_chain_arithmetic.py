"""Compiled arithmetic of primary supply, magnet making and the cohort stocks against the same
quantities written as plain array expressions, on random lots."""

from __future__ import annotations

import numpy as np
import pytest
from random_lots import random_lot

from sim.model.cohorts import _leave_expected, _turn
from sim.model.industry import _capped_shares, _split_feed, _take_capped
from sim.model.lots import split_lot
from sim.model.plants import _campaign_output
from sim.model.scrap_store import _deposit, _take_share
from sim.model.supply import _by_origin, _in_full, _origin_shares

SEEDS = range(20)


@pytest.mark.parametrize("seed", SEEDS)
def test_requests_arriving_in_full_split_at_chinas_share(seed):
    rng = np.random.default_rng(seed)
    asked, c = rng.uniform(0, 10, int(rng.integers(1, 40))), float(rng.uniform())
    arrived, from_china = _in_full(c, asked)
    assert arrived == pytest.approx(np.array([[c], [1 - c]]) * asked)
    assert from_china == pytest.approx(c * asked.sum())


@pytest.mark.parametrize("seed", SEEDS)
def test_a_lot_by_origin_in_the_proportions_that_arrived(seed):
    """Per slot when what arrived was asked by slot, at the shares of the whole otherwise; China
    alone when nothing arrived. The origins add up to the lot."""
    rng = np.random.default_rng(seed)
    n_slots = int(rng.integers(1, 15))
    lot = random_lot(rng, n_slots)
    by_slot = rng.uniform(0, 5, (2, n_slots)) * (rng.random(n_slots) < 0.8)
    china_share = np.divide(by_slot[0], by_slot.sum(axis=0), out=np.zeros(n_slots), where=by_slot.sum(axis=0) > 0)
    split = _by_origin(by_slot, lot)
    assert split[0] == pytest.approx((lot * china_share[:, None]).sum(axis=0))
    assert split.sum(axis=0) == pytest.approx(lot.sum(axis=0))
    by_cell = rng.uniform(0, 5, (2, n_slots * 4 + 1))
    split = _by_origin(by_cell, lot)
    assert split[0] == pytest.approx(lot.sum(axis=0) * by_cell[0].sum() / by_cell.sum())
    assert _by_origin(np.zeros((2, n_slots)), lot) == pytest.approx(np.array([lot.sum(axis=0), np.zeros(6)]))
    assert _origin_shares(by_cell) == pytest.approx(by_cell.sum(axis=1) / by_cell.sum())
    assert list(_origin_shares(np.zeros((2, 3)))) == [1.0, 0.0]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_capped_take_leaves_the_rest_ready(seed):
    rng = np.random.default_rng(seed)
    n_origins = int(rng.integers(1, 15))
    ready = random_lot(rng, n_origins)
    before, mass = ready.copy(), ready.sum(axis=1)
    kg, cap = float(rng.uniform(0, 1.2) * mass.sum()), rng.uniform(0, 10, n_origins)
    part = _take_capped(ready, kg, cap)
    assert part == pytest.approx(before * _capped_shares(mass, kg, cap)[:, None])
    assert part + ready == pytest.approx(before)
    assert part.sum() == pytest.approx(min(kg, np.minimum(cap, mass).sum()))
    assert (part.sum(axis=1) <= cap + 1e-9).all()
    empty = np.zeros((3, 6))
    assert not _take_capped(empty, 5.0, np.ones(3)).any()


@pytest.mark.parametrize("seed", SEEDS)
def test_recycled_feed_splits_into_magnets_swarf_and_loss(seed):
    rng = np.random.default_rng(seed)
    whole, ree = random_lot(rng, 8), random_lot(rng, 8)
    to_magnets, to_swarf = float(rng.uniform(0.6, 0.9)), float(rng.uniform(0, 0.1))
    to_loss = 1 - to_magnets - to_swarf
    from_whole, from_ree, swarf, loss, kg = _split_feed(whole, ree, to_magnets, to_swarf, to_loss)
    assert from_whole == pytest.approx(whole * to_magnets)
    assert from_ree == pytest.approx(ree * to_magnets)
    assert swarf == pytest.approx((whole + ree) * to_swarf)
    assert loss == pytest.approx((whole + ree) * to_loss)
    assert kg == pytest.approx((whole + ree).sum())
    assert from_whole.sum() + from_ree.sum() + swarf.sum() + loss.sum() == pytest.approx(kg)


@pytest.mark.parametrize("seed", SEEDS)
def test_cohorts_leave_at_the_hazard_of_their_age(seed):
    """Step k: cohort c (of `window` steps) is k - window x c steps old, and the hazard at that
    age takes its share of the cohort's units and of each of its elements."""
    rng = np.random.default_rng(seed)
    n_segments, window, n_ages = int(rng.integers(1, 6)), int(rng.choice([1, 12])), 60
    k = int(rng.integers(0, n_ages))
    last = k // window
    first = int(rng.integers(0, last + 1))
    n_cohorts = last + 3
    units, content = rng.uniform(0, 9, (n_segments, n_cohorts)), rng.uniform(0, 9, (n_segments, 6, n_cohorts))
    hazard = rng.uniform(0, 1, (n_segments, n_ages))
    ages = k - window * np.arange(first, last + 1)
    q = hazard[:, ages]  # [segment, present cohort]
    expected_units, expected_content = units[:, first:last + 1] * q, content[:, :, first:last + 1] * q[:, None, :]
    units_after, content_after = units.copy(), content.copy()
    left, gone = _leave_expected(units_after, content_after, hazard, first, last, k, window)
    assert left == pytest.approx(expected_units.sum(axis=1))
    assert gone == pytest.approx(expected_content.sum(axis=2))
    assert units_after[:, first:last + 1] == pytest.approx(units[:, first:last + 1] - expected_units)
    assert (units_after[:, last + 1:] == units[:, last + 1:]).all()
    assert (units_after[:, :first] == units[:, :first]).all()
    assert content_after[:, :, first:last + 1] == pytest.approx(content[:, :, first:last + 1] - expected_content)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_turn_places_then_takes_what_leaves_in_its_rows(seed):
    """Entering units of the stock's rows join the step's cohort; what leaves (at the hazard of
    each cohort's age) replaces them in the returned arrays; the other rows pass through."""
    rng = np.random.default_rng(seed)
    n_caller, window, n_ages, k = int(rng.integers(2, 9)), int(rng.choice([1, 12])), 80, int(rng.integers(0, 60))
    rows = np.sort(rng.choice(n_caller, int(rng.integers(1, n_caller + 1)), replace=False))
    last = k // window
    first = int(rng.integers(0, last + 1))
    units, content = rng.uniform(0, 9, (rows.size, last + 2)), rng.uniform(0, 9, (rows.size, 6, last + 2))
    hazard = rng.uniform(0, 1, (rows.size, n_ages))
    entering, entering_content = rng.uniform(0, 5, n_caller), rng.uniform(0, 5, (n_caller, 6))
    present, present_content = units.copy(), content.copy()
    present[:, last] += entering[rows]
    present_content[:, :, last] += entering_content[rows]
    q = hazard[:, k - window * np.arange(first, last + 1)]
    out_units, out_content = _turn(units, content, hazard, first, last, k, window, entering, entering_content, rows)
    expected_units, expected_content = entering.copy(), entering_content.copy()
    expected_units[rows] = (present[:, first:last + 1] * q).sum(axis=1)
    expected_content[rows] = (present_content[:, :, first:last + 1] * q[:, None, :]).sum(axis=2)
    assert out_units == pytest.approx(expected_units)
    assert out_content == pytest.approx(expected_content)
    assert units[:, first:last + 1] == pytest.approx(present[:, first:last + 1] * (1 - q))


@pytest.mark.parametrize("seed", SEEDS)
def test_a_deposit_exports_its_share_and_splits_the_rest_by_grade(seed):
    rng = np.random.default_rng(seed)
    n_slots = int(rng.integers(1, 15))
    lot, share, short_share = random_lot(rng, n_slots), float(rng.uniform()), rng.uniform(0, 1, n_slots)
    short, long_only = random_lot(rng, n_slots), random_lot(rng, n_slots)
    before_short, before_long = short.copy(), long_only.copy()
    exported, short_kg, long_only_kg = _deposit(short, long_only, lot, share, short_share)
    expected_short = before_short + lot * (1 - share) * short_share[:, None]
    expected_long = before_long + lot * (1 - share) * (1 - short_share[:, None])
    assert exported == pytest.approx(lot * share)
    assert short == pytest.approx(expected_short)
    assert long_only == pytest.approx(expected_long)
    # the pools' masses after the deposit, which the store keeps instead of summing them again
    assert (short_kg, long_only_kg) == pytest.approx((expected_short.sum(), expected_long.sum()))


@pytest.mark.parametrize("seed", SEEDS)
def test_a_take_from_a_pool_takes_its_share_of_every_origin_and_element(seed):
    rng = np.random.default_rng(seed)
    pool = random_lot(rng, int(rng.integers(1, 15)))
    before, share = pool.copy(), float(rng.uniform())
    part, left = _take_share(pool, share)
    assert part == pytest.approx(before * share)
    assert pool == pytest.approx(before * (1 - share))
    assert left == pytest.approx(before.sum() * (1 - share))  # the mass the store keeps instead of summing


@pytest.mark.parametrize("seed", SEEDS)
def test_a_campaign_gives_its_yield_as_powder_and_the_rest_as_loss(seed):
    rng = np.random.default_rng(seed)
    feed, process_yield = random_lot(rng, int(rng.integers(1, 15))), float(rng.uniform(0.5, 1.0))
    sums, seen = np.zeros((2, 3) + feed.shape), np.zeros(2, dtype=np.bool_)
    powder, new = _campaign_output(sums, seen, 1, feed, process_yield)
    assert new and seen.all() and powder == pytest.approx(feed * process_yield)
    assert sums[0, 1] == pytest.approx(feed * process_yield) and sums[1, 1] == pytest.approx(feed * (1 - process_yield))
    assert not sums[:, [0, 2]].any()
    _, new = _campaign_output(sums, seen, -1, feed, process_yield)  # before start_year: nothing recorded
    assert not new and sums[0, 1] == pytest.approx(feed * process_yield)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_lot_split_in_the_ratio_of_units(seed):
    rng = np.random.default_rng(seed)
    n_segments = int(rng.integers(1, 20))
    lot = random_lot(rng, n_segments)
    whole = rng.uniform(0, 10, n_segments) * (rng.random(n_segments) < 0.8)
    part = whole * rng.uniform(0, 1, n_segments)
    taken, rest = split_lot(lot, part, whole)
    ratio = np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), 0.0)
    assert taken == pytest.approx(lot * ratio[:, None])
    assert taken + rest == pytest.approx(lot)
