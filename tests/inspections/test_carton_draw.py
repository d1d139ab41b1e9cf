"""Deterministic random carton selection.

The cases are in tests/vectors/carton_draw.json, shared with the phone app's tests.
"""

import hashlib
import math

import pytest

from api.inspections.carton_draw import base_count, draw_cartons, new_seed
from tests.vectors_loader import load_vectors, params

VECTORS = load_vectors("carton_draw")


def hash_order(cartons, seed):
    def sha(number):
        return hashlib.sha256((seed + ":" + number).encode("utf-8")).hexdigest()

    return sorted(cartons, key=lambda c: (sha(c[0]), c[0]))


def recompute(cartons, seed):
    """The documented algorithm, written again from the docstring with plain hashlib."""
    order = hash_order(cartons, seed)
    k = math.ceil(math.sqrt(len(order)))
    picked = list(order[:k])
    for carton in order[k:]:
        if carton[1] not in {p[1] for p in picked}:
            picked.append(carton)
    return [c[0] for c in order if c in picked]


def packing_list(n, assortments=1):
    return [(f"C{i:04d}", f"colour{i % assortments}/size") for i in range(1, n + 1)]


def cartons_of(case):
    """The (carton number, assortment key) pairs of a vector, listed or generated."""
    if "cartons" in case:
        return [(carton["number"], carton["assortment"]) for carton in case["cartons"]]
    generated = case["packing_list"]
    return packing_list(generated["number_of_cartons"], generated["assortments"])


def draw_id(case):
    cartons = cartons_of(case)
    kinds = len({assortment for _, assortment in cartons})
    return f"seed={case['seed']}-cartons={len(cartons)}-assortments={kinds}"


@pytest.mark.parametrize("case", params(
    VECTORS["base_counts"], lambda c: str(c["number_of_cartons"])))
def test_base_count(case):
    assert base_count(case["number_of_cartons"]) == case["base_count"]


@pytest.mark.parametrize("case", params(VECTORS["draws"], draw_id))
def test_draw(case):
    cartons, seed = cartons_of(case), case["seed"]
    assert draw_cartons(cartons, seed) == case["picked"]
    assert recompute(cartons, seed) == case["picked"]
    if "hash_order" in case:
        assert [number for number, _ in hash_order(cartons, seed)] == case["hash_order"]
    # ceil(sqrt(n)) cartons, plus at most one for each other assortment the first ones missed.
    k, kinds = base_count(len(cartons)), len({assortment for _, assortment in cartons})
    assert k <= len(case["picked"]) <= k + kinds - 1


@pytest.mark.parametrize(("n", "assortments"), [(100, 20), (100, 3), (30, 30), (200, 50)])
def test_every_assortment_is_covered(n, assortments):
    cartons = packing_list(n, assortments)
    picked = set(draw_cartons(cartons, "cover"))
    assert {a for number, a in cartons if number in picked} == {a for _, a in cartons}
    assert len(picked) >= math.ceil(math.sqrt(n))


def test_deterministic_and_seed_dependent():
    cartons = packing_list(400, 12)
    assert draw_cartons(cartons, "s1") == draw_cartons(list(reversed(cartons)), "s1")
    assert draw_cartons(cartons, "s1") != draw_cartons(cartons, "s2")


@pytest.mark.parametrize("case", params(VECTORS["errors"], lambda c: c["note"]))
def test_bad_input(case):
    with pytest.raises(ValueError):
        draw_cartons(cartons_of(case), case["seed"])


def test_empty_packing_list():
    assert draw_cartons([], "seed") == []


def test_new_seed():
    seeds = {new_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(len(s) == 32 and int(s, 16) >= 0 for s in seeds)
