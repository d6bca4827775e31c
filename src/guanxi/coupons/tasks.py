"""Background work of the coupons app: the co-purchase pairs after a run."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from guanxi.coupons.pairs import product_pairs_compute


@db_task()  # type: ignore[untyped-decorator]
def product_pairs_task() -> None:
    """The co-purchase pairs from the orders as they are now; nothing when
    no purchase changed since they were last computed (safe to run twice)."""
    product_pairs_compute(only_if_changed=True)
