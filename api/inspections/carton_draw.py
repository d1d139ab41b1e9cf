"""Random carton selection for pre-shipment inspection, reproducible from a recorded seed.

Algorithm (anyone can recompute it in any language from the packing list and the seed):

1. Input: the cartons as (carton number, assortment key) pairs, where the assortment key names
   the colour/size content of the carton, and a seed string.
2. Key of a carton: the lowercase hex SHA-256 of the UTF-8 bytes of ``seed + ":" + carton number``.
   Sort the cartons by key ascending, ties (which SHA-256 makes practically impossible) by carton
   number ascending, comparing strings by Unicode code points. Call this the hash order.
3. Base count k = ceil(sqrt(n)) for n cartons (0 for none). Pick the first k in hash order.
4. Walk the rest in hash order; pick a carton if no carton picked so far has its assortment key.
   So every assortment gets at least one carton, and it is the first of its kind in hash order.
5. Output: the picked carton numbers in hash order.

Carton numbers must be unique. The seed is random (``new_seed``) and stored with the inspection,
so the draw cannot be chosen by the factory but can be checked later.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Sequence

__all__ = ["base_count", "draw_cartons", "new_seed"]


def new_seed() -> str:
    return secrets.token_hex(16)


def base_count(number_of_cartons: int) -> int:
    """ceil(sqrt(n)) in exact integer arithmetic (floats misround for large n)."""
    if number_of_cartons < 0:
        raise ValueError("the number of cartons must not be negative")
    return 0 if number_of_cartons == 0 else math.isqrt(number_of_cartons - 1) + 1


def draw_cartons(cartons: Sequence[tuple[str, str]], seed: str) -> list[str]:
    """The carton numbers to open, in hash order; see the module docstring for the algorithm."""
    if not isinstance(seed, str) or not seed:
        raise ValueError("the seed must be a non-empty string")
    numbers = [number for number, _ in cartons]
    if len(set(numbers)) != len(numbers):
        raise ValueError("carton numbers must be unique")

    def key(carton: tuple[str, str]) -> tuple[str, str]:
        digest = hashlib.sha256(f"{seed}:{carton[0]}".encode("utf-8")).hexdigest()
        return digest, carton[0]

    ordered = sorted(cartons, key=key)
    count = base_count(len(ordered))
    picked = {number for number, _ in ordered[:count]}
    covered = {assortment for _, assortment in ordered[:count]}
    for number, assortment in ordered[count:]:
        if assortment not in covered:
            picked.add(number)
            covered.add(assortment)
    return [number for number, _ in ordered if number in picked]
