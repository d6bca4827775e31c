"""Co-purchase pairs ("customers who bought A also bought B") from each
customer's distinct products, counted with sorted integer codes in numpy.

Input: one row per (customer, product) the customer bought, with the number
of order lines behind it. For products A and B, with N the customers who
bought anything, n(A) the buyers of A and n(AB) the buyers of both:

- support = n(AB) / N
- confidence(A → B) = n(AB) / n(A)
- lift(A → B) = confidence / (n(B) / N)

A customer's unordered pairs are k(k-1)/2 for k distinct products, so the
work grows with the square of the largest baskets: each customer's pairs are
taken among their ``per_customer`` most bought products (most order lines,
then lower product id), while n(A) and N count every buyer. Customers are
taken in chunks of at most ``chunk_pairs`` pairs, so memory stays bounded
whatever the number of customers; pair counts go into a dense products ×
products array when that is small (catalogues up to 2,048 products), into a
sorted array of pair keys merged chunk by chunk otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["CoPurchase", "buys_from_lines", "co_purchase_pairs"]

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

#: Dense counting up to this many product pairs (2,048²: 32 MB of counts).
DENSE_CELLS = 2048 * 2048
#: Pairs generated at once (about 40 MB per int64 array).
CHUNK_PAIRS = 5_000_000
#: Ids up to this bound fit the (customer, product) key of buys_from_lines.
_ID_BOUND = 1 << 31


@dataclass(frozen=True)
class CoPurchase:
    """The kept pairs, both directions, sorted by antecedent then best first
    (confidence, lift descending, then consequent)."""

    antecedent: Ints
    consequent: Ints
    together: Ints
    support: Floats
    confidence: Floats
    lift: Floats
    customers: int

    def __len__(self) -> int:
        return len(self.antecedent)


def buys_from_lines(
    chunks: Iterable[tuple[npt.ArrayLike, npt.ArrayLike]],
) -> tuple[Ints, Ints, Ints]:
    """``(customer, product)`` of every order line, in chunks of any size and
    order, to ``(customer, product, lines)``: one row per distinct pair with
    its number of lines, sorted by customer then product. Each chunk is
    reduced as it comes, so memory follows the distinct pairs, not the lines.
    """
    parts: list[tuple[Ints, Ints]] = []
    for customers, products in chunks:
        c = np.asarray(customers, dtype=np.int64)
        p = np.asarray(products, dtype=np.int64)
        if not len(c):
            continue
        if c.min() < 0 or p.min() < 0 or c.max() >= _ID_BOUND or p.max() >= _ID_BOUND:
            raise ValueError("customer and product ids must be in [0, 2**31)")
        keys, counts = np.unique((c << 32) | p, return_counts=True)
        parts.append((keys, counts.astype(np.int64)))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    keys, counts = _merge(parts)
    return keys >> 32, keys & 0xFFFFFFFF, counts


def co_purchase_pairs(
    customer: npt.ArrayLike,
    product: npt.ArrayLike,
    lines: npt.ArrayLike,
    *,
    min_together: int,
    per_customer: int,
    per_product: int,
    chunk_pairs: int = CHUNK_PAIRS,
    dense_cells: int = DENSE_CELLS,
) -> CoPurchase:
    """Every pair of products bought by at least ``min_together`` customers,
    each product keeping its ``per_product`` best partners (confidence, then
    lift, then lower consequent id: the order suggestions are read in).

    ``customer``, ``product``, ``lines``: one row per distinct (customer,
    product), in any order (see :func:`buys_from_lines`).
    """
    if min_together < 1 or per_customer < 2 or per_product < 1 or chunk_pairs < 1:
        raise ValueError(
            "min_together and per_product must be at least 1, per_customer at least 2"
        )
    c = np.asarray(customer, dtype=np.int64)
    p = np.asarray(product, dtype=np.int64)
    n = np.asarray(lines, dtype=np.int64)
    products, code = np.unique(p, return_inverse=True)
    code = code.astype(np.int64).reshape(-1)
    size = len(products)
    buyers = np.bincount(code, minlength=size).astype(np.int64)
    # Each customer's products, most bought first (ties: lower product id).
    order = np.lexsort((code, -n, c))
    c, code = c[order], code[order]
    customers = len(_starts(c))
    kept = _rank(c) < per_customer
    c, code = c[kept], code[kept]
    # Within a customer, ascending codes: each unordered pair once as (a < b).
    order = np.lexsort((code, c))
    c, code = c[order], code[order]
    keys, together = _count_pairs(c, code, size, chunk_pairs, dense_cells)
    frequent = together >= min_together
    keys, together = keys[frequent], together[frequent]
    a, b = keys // size, keys % size
    x = np.concatenate([a, b])
    y = np.concatenate([b, a])
    both = np.concatenate([together, together])
    total = float(customers)
    support = both / total
    confidence = both / buyers[x].astype(np.float64)
    lift = confidence / (buyers[y] / total)
    # Best partners first within each antecedent; keep the first per_product.
    order = np.lexsort((y, -lift, -confidence, x))
    best = order[_rank(x[order]) < per_product]
    return CoPurchase(
        antecedent=products[x[best]],
        consequent=products[y[best]],
        together=both[best],
        support=support[best],
        confidence=confidence[best],
        lift=lift[best],
        customers=customers,
    )


def _starts(sorted_values: Ints) -> Ints:
    """Where each run of equal values starts in a sorted array."""
    if not len(sorted_values):
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(sorted_values[1:] != sorted_values[:-1]) + 1
    return np.concatenate([[0], change]).astype(np.int64)


def _rank(sorted_values: Ints) -> Ints:
    """Each element's position within its run of equal values."""
    starts = _starts(sorted_values)
    sizes = np.diff(_ends(starts, len(sorted_values)))
    return np.arange(len(sorted_values), dtype=np.int64) - np.repeat(starts, sizes)


def _ends(starts: Ints, length: int) -> Ints:
    """Run boundaries: the starts followed by the length (``np.diff`` gives
    each run's size)."""
    return np.concatenate([starts, [length]]).astype(np.int64)


def _count_pairs(
    customer: Ints, code: Ints, size: int, chunk_pairs: int, dense_cells: int
) -> tuple[Ints, Ints]:
    """Pair keys ``a * size + b`` (a < b) with the number of customers who
    have both, ascending by key."""
    if size * size <= dense_cells:
        counts = np.zeros(size * size, dtype=np.int64)
        for keys in _pair_chunks(customer, code, size, chunk_pairs):
            counts += np.bincount(keys, minlength=size * size)
        present = np.flatnonzero(counts).astype(np.int64)
        return present, counts[present]
    parts: list[tuple[Ints, Ints]] = []
    for keys in _pair_chunks(customer, code, size, chunk_pairs):
        unique, counts = np.unique(keys, return_counts=True)
        parts.append((unique, counts.astype(np.int64)))
        if len(parts) >= 8:  # bound the pieces held before merging
            parts = [_merge(parts)]
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    return _merge(parts)


def _pair_chunks(
    customer: Ints, code: Ints, size: int, chunk_pairs: int
) -> Iterator[Ints]:
    """The pair keys of each customer's products (sorted by customer, then
    code), whole customers at a time, about ``chunk_pairs`` keys each."""
    starts = _starts(customer)
    sizes = np.diff(_ends(starts, len(customer)))
    pairs = sizes * (sizes - 1) // 2
    done = np.cumsum(pairs)
    first = 0
    while first < len(starts):
        base = done[first] - pairs[first]
        last = int(np.searchsorted(done, base + chunk_pairs, side="right"))
        last = max(last, first + 1)
        lo = int(starts[first])
        hi = int(starts[last]) if last < len(starts) else len(customer)
        group_end = np.repeat(
            np.concatenate([starts[first + 1 : last], [hi]]), sizes[first:last]
        )
        index = np.arange(lo, hi, dtype=np.int64)
        later = group_end - index - 1
        left = np.repeat(index, later)
        offset = np.arange(len(left), dtype=np.int64) - np.repeat(
            np.cumsum(later) - later, later
        )
        right = left + 1 + offset
        if len(left):
            yield code[left] * size + code[right]
        first = last


def _merge(parts: list[tuple[Ints, Ints]]) -> tuple[Ints, Ints]:
    """Sorted unique keys with their counts summed over ``parts``."""
    if len(parts) == 1:
        return parts[0]
    keys = np.concatenate([k for k, _ in parts])
    counts = np.concatenate([n for _, n in parts])
    unique, where = np.unique(keys, return_inverse=True)
    # Float sums are exact below 2**53 counts.
    summed = np.bincount(where.reshape(-1), weights=counts, minlength=len(unique))
    return unique, summed.astype(np.int64)
