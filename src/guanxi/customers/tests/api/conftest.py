"""Fixtures of the customers' REST API tests: two customers of two account
managers (this folder's ``world``, in place of the page tests' one), and the
endpoints' addresses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from guanxi.customers.models import Tag

LIST = "/api/v1/customers/"
INTERACTIONS = "/api/v1/interactions/"


def detail(pk: Any) -> str:
    return f"{LIST}{pk}/"


@pytest.fixture
def world(users: dict[str, Any], make_customer: Any) -> dict[str, Any]:
    vip, _ = Tag.objects.get_or_create(name="VIP")
    own = make_customer(
        name="王芳",
        phone="+8613800138000",
        email="wang.fang@example.com",
        address="浙江省杭州市西湖区文三路 1 号",
        birthday=dt.date(1990, 5, 17),
        city="杭州",
        gender="female",
        assigned_manager=users["account_manager"],
    )
    own.tags.add(vip)
    foreign = make_customer(
        name="李雷",
        phone="+8613900139000",
        email="li.lei@example.com",
        city="上海",
        assigned_manager=users["other_manager"],
    )
    return {"own": own, "foreign": foreign, "users": users}
