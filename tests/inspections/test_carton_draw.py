"""Deterministic random carton selection."""

import hashlib
import math

import pytest

from api.inspections.carton_draw import base_count, draw_cartons, new_seed


def recompute(cartons, seed):
    """The documented algorithm, written again from the docstring with plain hashlib."""
    def sha(number):
        return hashlib.sha256((seed + ":" + number).encode("utf-8")).hexdigest()

    order = sorted(cartons, key=lambda c: (sha(c[0]), c[0]))
    k = math.ceil(math.sqrt(len(order)))
    picked = list(order[:k])
    for carton in order[k:]:
        if carton[1] not in {p[1] for p in picked}:
            picked.append(carton)
    return [c[0] for c in order if c in picked]


def packing_list(n, assortments=1):
    return [(f"C{i:04d}", f"colour{i % assortments}/size") for i in range(1, n + 1)]


@pytest.mark.parametrize(("n", "count"), [(1, 1), (2, 2), (10, 4), (100, 10), (101, 11)])
def test_count_is_ceil_sqrt(n, count):
    assert len(draw_cartons(packing_list(n), "seed")) == count


@pytest.mark.parametrize(("n", "count"), [
    (0, 0), (1, 1), (4, 2), (5, 3), (9, 3), (10, 4), (10**12, 10**6), (10**12 + 1, 10**6 + 1),
])
def test_base_count(n, count):
    assert base_count(n) == count


@pytest.mark.parametrize(("n", "assortments", "seed"), [
    (1, 1, "a"), (9, 3, "b"), (50, 7, "c"), (100, 20, "d"), (101, 101, "e"),
    (400, 30, "0123456789abcdef0123456789abcdef"),
])
def test_matches_an_independent_recomputation(n, assortments, seed):
    cartons = packing_list(n, assortments)
    assert draw_cartons(cartons, seed) == recompute(cartons, seed)


@pytest.mark.parametrize(("n", "assortments"), [(100, 20), (100, 3), (30, 30), (200, 50)])
def test_every_assortment_is_covered(n, assortments):
    cartons = packing_list(n, assortments)
    picked = set(draw_cartons(cartons, "cover"))
    assert {a for number, a in cartons if number in picked} == {a for _, a in cartons}
    assert len(picked) >= math.ceil(math.sqrt(n))


def test_known_draw():
    # Hash order of cartons 1…9 under seed "floorcheck": 3 8 6 4 2 5 1 7 9.
    assortment = {"3": "A", "8": "A", "6": "A", "4": "B", "2": "B", "5": "C", "1": "C",
                  "7": "D", "9": "D"}
    cartons = [(str(i), assortment[str(i)]) for i in range(1, 10)]
    assert draw_cartons(cartons, "floorcheck") == ["3", "8", "6", "4", "5", "7"]
    one_kind = [(number, "A") for number, _ in cartons]
    assert draw_cartons(one_kind, "floorcheck") == ["3", "8", "6"]


def test_deterministic_and_seed_dependent():
    cartons = packing_list(400, 12)
    assert draw_cartons(cartons, "s1") == draw_cartons(list(reversed(cartons)), "s1")
    assert draw_cartons(cartons, "s1") != draw_cartons(cartons, "s2")


def test_unicode_carton_numbers_hash_as_utf8():
    cartons = [("箱-001", "红/M"), ("箱-002", "红/L"), ("箱-003", "红/M")]
    assert draw_cartons(cartons, "种子") == recompute(cartons, "种子")


@pytest.mark.parametrize(("cartons", "seed"), [
    ([("1", "A"), ("1", "B")], "seed"),  # duplicate carton number
    ([("1", "A")], ""),
])
def test_bad_input(cartons, seed):
    with pytest.raises(ValueError):
        draw_cartons(cartons, seed)


def test_empty_packing_list():
    assert draw_cartons([], "seed") == []


def test_new_seed():
    seeds = {new_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(len(s) == 32 and int(s, 16) >= 0 for s in seeds)
