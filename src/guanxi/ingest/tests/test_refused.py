"""An import the database refuses (another writer recorded one of its customers
between the import's look and its write) says so clearly and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.customers.matching import CustomerMatcher


@pytest.fixture
def unseen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The matcher's look finds nothing: what a concurrent writer that commits
    right after the look does to an import on PostgreSQL."""
    monkeypatch.setattr(CustomerMatcher, "prefetch", lambda self, keys: None)
    monkeypatch.setattr(CustomerMatcher, "may_know_more", lambda self: False)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("customers", "手机号,姓名\n13900139000,李娜\n13800138000,张三\n"),
        ("customers", "邮箱,姓名\nzw@example.com,张三\n"),
        (
            "orders",
            "order_id,ordered_at,amount,phone\nA-1,2024-01-01,5,13800138000\n",
        ),
        (
            "interactions",
            "kind,occurred_at,phone\nvisit,2024-01-01 10:00,13800138000\n",
        ),
    ],
)
def test_a_refused_import_says_so_and_writes_nothing(
    write_file: Any,
    run_import: Any,
    make_customer: Any,
    counts: Any,
    unseen: None,
    kind: str,
    text: str,
) -> None:
    make_customer(name="张伟", phone="+8613800138000", email="zw@example.com")
    before = counts()
    result = run_import(kind, write_file("f.csv", text))
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        "CommandError: a customer with a phone number or email address of this "
        "file was recorded by someone else while the import ran; nothing was "
        "written: please import the file again\n"
    )
    assert counts() == before
