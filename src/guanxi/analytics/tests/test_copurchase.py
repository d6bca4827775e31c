"""Co-purchase pair counting against a brute-force count on random baskets:
the dense and the sparse counter, any chunk size, the same pairs and order."""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict

import numpy as np
import pytest

from guanxi.analytics.copurchase import buys_from_lines, co_purchase_pairs

Row = tuple[int, int, int, float, float, float]


def _brute(
    rows: list[tuple[int, int]], least: int, per_customer: int, per_product: int
) -> list[Row]:
    bought: dict[int, Counter[int]] = defaultdict(Counter)
    for customer, product in rows:
        bought[customer][product] += 1
    total = len(bought)
    buyers = Counter(p for products in bought.values() for p in products)
    together: Counter[tuple[int, int]] = Counter()
    for products in bought.values():
        top = sorted(products, key=lambda p: (-products[p], p))[:per_customer]
        together.update(itertools.permutations(top, 2))
    found = []
    for (a, b), n in together.items():
        if n >= least:
            confidence = n / buyers[a]
            found.append(
                (a, b, n, n / total, confidence, confidence / (buyers[b] / total))
            )
    out: list[Row] = []
    for a in sorted({r[0] for r in found}):
        mine = sorted(
            (r for r in found if r[0] == a), key=lambda r: (-r[4], -r[5], r[1])
        )
        out += mine[:per_product]
    return out


@pytest.mark.parametrize("seed", range(12))
def test_the_pairs_are_the_brute_force_pairs(seed: int) -> None:
    rnd = random.Random(seed)
    size = rnd.choice([3, 10, 60])
    rows = [
        (rnd.randint(1, 150) * 7, rnd.randint(1, size) * 3 + 100)
        for _ in range(rnd.randint(1, 1500))
    ]
    least, per_customer, per_product = (
        rnd.randint(1, 4),
        rnd.randint(2, 20),
        rnd.randint(1, 30),
    )
    chunks = [rows[i : i + 97] for i in range(0, len(rows), 97)]
    customer, product, lines = buys_from_lines(
        (np.array([r[0] for r in c]), np.array([r[1] for r in c])) for c in chunks
    )
    expected = _brute(rows, least, per_customer, per_product)
    for dense_cells in (0, 10**9):  # sparse and dense counting
        got = co_purchase_pairs(
            customer,
            product,
            lines,
            min_together=least,
            per_customer=per_customer,
            per_product=per_product,
            chunk_pairs=rnd.randint(1, 400),
            dense_cells=dense_cells,
        )
        assert got.customers == len({c for c, _p in rows})
        assert (
            list(
                zip(
                    got.antecedent.tolist(),
                    got.consequent.tolist(),
                    got.together.tolist(),
                    got.support.tolist(),
                    got.confidence.tolist(),
                    got.lift.tolist(),
                    strict=True,
                )
            )
            == expected
        )


def test_no_lines_make_no_pairs_and_bad_limits_are_refused() -> None:
    customer, product, lines = buys_from_lines([])
    found = co_purchase_pairs(
        customer, product, lines, min_together=1, per_customer=50, per_product=100
    )
    assert (len(found), found.customers) == (0, 0)
    with pytest.raises(ValueError, match="per_customer at least 2"):
        co_purchase_pairs(
            customer, product, lines, min_together=1, per_customer=1, per_product=1
        )
    with pytest.raises(ValueError, match=r"ids must be in \[0, 2\*\*31\)"):
        buys_from_lines([(np.array([2**31]), np.array([1]))])
