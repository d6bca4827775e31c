"""``guanxi demo``: demo users per role with printable logins, re-runnable."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.utils import translation

from guanxi.access.policies import role_of
from guanxi.customers.models import Customer
from guanxi.demo.users import DEMO_USERS

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def logins(text: str) -> dict[str, str]:
    found = {}
    for username, _ in DEMO_USERS:
        match = re.search(rf"  {username}\s+(\S+)\s*$", text, re.MULTILINE)
        assert match, f"{username} missing from:\n{text}"
        found[username] = match.group(1)
    return found


def test_demo_creates_users_and_data(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    text = run("--customers", "30", "--seed", "2")
    assert "Added 30 customers" in text and "已添加 30 位客户" in text
    assert "Role 角色" in text and "Username 用户名" in text and "Password 密码" in text
    passwords = logins(text)
    User = get_user_model()
    for username, role in DEMO_USERS:
        user = User.objects.get(username=username)
        assert role_of(user) == role
        assert user.check_password(passwords[username])
        validate_password(passwords[username], user)
    assert len(set(passwords.values())) == 6
    for name in ("demo_manager1", "demo_manager2"):
        manager = User.objects.get(username=name)
        assert Customer.objects.filter(assigned_manager=manager).count() == 2
    assert Customer.objects.filter(assigned_manager__isnull=True).count() == 26

    # Running again neither fails nor changes a password, and prints the same logins.
    again = run("--customers", "0")
    assert logins(again) == passwords
    assert "Added" not in again
    assert Customer.objects.count() == 30


def test_existing_user_without_stored_password(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    get_user_model().objects.create_user(username="demo_ops", password="x-own-pass-1")
    text = run("--customers", "0")
    assert re.search(r"demo_ops\s+\(unchanged 未更改\)", text)
    assert (
        get_user_model().objects.get(username="demo_ops").check_password("x-own-pass-1")
    )


@pytest.mark.parametrize(
    ("language", "args", "message"),
    [
        (
            "en",
            ["--customers", "-1"],
            "Error: argument --customers: must be at least 0: -1",
        ),
        (
            "en",
            ["--customers", "many"],
            "Error: argument --customers: not a whole number: 'many'",
        ),
        ("en", ["--seed", "x"], "Error: argument --seed: not a whole number: 'x'"),
        ("zh-hans", ["--seed", "x"], "Error: argument --seed: 不是整数：'x'"),
        (
            "zh-hans",
            ["--customers", "-1"],
            "Error: argument --customers: 不能小于 0：-1",
        ),
    ],
)
def test_bad_arguments(
    settings: Any, tmp_path: Any, language: str, args: list[str], message: str
) -> None:
    settings.DATA_DIR = tmp_path
    with translation.override(language), pytest.raises(CommandError) as err:
        run(*args)
    assert str(err.value) == message
    assert not Customer.objects.exists()
    assert not get_user_model().objects.exists()
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_demo_keeps_nothing(
    settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guanxi.commerce.models import Order
    from guanxi.demo import generator

    settings.DATA_DIR = tmp_path
    chunk = generator._Run._chunk
    calls: list[int] = []

    def ctrl_c_in_the_third_chunk(self: Any, rng: Any, n: int) -> None:
        calls.append(n)
        if len(calls) == 3:
            raise KeyboardInterrupt
        chunk(self, rng, n)

    monkeypatch.setattr(generator._Run, "_chunk", ctrl_c_in_the_third_chunk)
    with pytest.raises(CommandError) as err:
        call_command(
            "demo",
            "--customers",
            "5000",
            "--no-progress",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert (str(err.value), err.value.returncode) == (
        "Interrupted: nothing was written. 已中断：未写入任何数据。",
        130,
    )
    assert calls == [2000, 2000, 1000]
    assert not Customer.objects.exists() and not Order.objects.exists()
    # The demo users are kept: they are made before the data, and again
    # would be the same.
    assert get_user_model().objects.count() == len(DEMO_USERS)


def test_a_refused_demo_is_a_clear_command_error(
    settings: Any, tmp_path: Any, make_customer: Any
) -> None:
    from guanxi.demo.tests.test_generator import _demo_phone

    settings.DATA_DIR = tmp_path
    recorded = make_customer(name="张伟", phone="+8613800138000")
    make_customer(name="李娜", phone=_demo_phone(recorded.pk + 2))
    with pytest.raises(CommandError) as err:
        run("--customers", "10")
    assert str(err.value).startswith(
        "1 customers recorded before have a phone number or email address"
    )
    assert Customer.objects.count() == 2
