"""An orders import keeps the customers' purchase figures (total spend,
orders, first and last purchase), for new orders and for status changes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from guanxi.commerce.models import Order
from guanxi.commerce.tests.test_purchase_aggregates import (
    _kept,
    _kept_all,
    _recomputed,
)
from guanxi.customers.models import Customer

ORDERS = (
    "订单号,下单时间,金额,状态,门店,手机号,姓名\n"
    "A-1,2024-01-05 14:30,1299.00,已付款,西湖店,13800138000,张伟\n"
    "A-2,2024-01-06 10:00,88,已付款,西湖店,13800138000,\n"
    "A-3,2024-01-07 09:00,12.5,已退款,,13900139000,李娜\n"
)
REFUNDS = (
    "订单号,下单时间,金额,状态,门店,手机号,姓名\n"
    "A-2,2024-01-06 10:00,88,已退款,西湖店,13800138000,\n"
    "A-3,2024-01-07 09:00,12.5,已付款,,13900139000,李娜\n"
)


def test_an_import_keeps_the_figures_and_a_later_refund_moves_them(
    write_file: Any, run_import: Any
) -> None:
    run_import("orders", write_file("o.csv", ORDERS))
    assert _kept_all() == _recomputed()
    zhang = Customer.objects.get(pk=Order.objects.get(external_id="A-1").customer_id)
    assert _kept(zhang)[:2] == (Decimal("1387.00"), 2)
    li = Customer.objects.get(pk=Order.objects.get(external_id="A-3").customer_id)
    assert _kept(li) == (Decimal("0.00"), 0, None, None)
    run_import("orders", write_file("r.csv", REFUNDS))
    assert Order.objects.get(external_id="A-2").status == "refunded"
    assert _kept(zhang)[:2] == (Decimal("1299.00"), 1)
    assert _kept(li)[:2] == (Decimal("12.50"), 1)
    assert _kept_all() == _recomputed()
