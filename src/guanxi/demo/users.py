"""Demo staff users, one per role (two account managers), with printable logins."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password

from guanxi.access.choices import Role
from guanxi.access.services import staff_user_create

__all__ = ["DEMO_USERS", "DemoLogin", "demo_logins_table", "demo_users_ensure"]

DEMO_USERS: list[tuple[str, Role]] = [
    ("demo_admin", Role.ADMIN),
    ("demo_ops", Role.OPERATIONS),
    ("demo_service", Role.SERVICE),
    ("demo_manager1", Role.ACCOUNT_MANAGER),
    ("demo_manager2", Role.ACCOUNT_MANAGER),
    ("demo_analyst", Role.ANALYST),
]
_WORDS = ["longjing", "oolong", "puer", "jasmine", "maofeng", "yinzhen", "dahongpao"]


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    username: str
    password: str  # "" when the user existed before and its password is not on file
    user_id: int


def _password_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-logins.json"


def _new_password() -> str:
    # Random per installation (a demo reachable from a network must not share a
    # password with every other demo), readable enough to type.
    return f"{secrets.choice(_WORDS)}-{secrets.token_urlsafe(6)}-{secrets.randbelow(90) + 10}"


def demo_users_ensure() -> list[DemoLogin]:
    """Create the demo users that are missing; existing ones are left as they are.

    New passwords are kept in ``$GUANXI_DATA_DIR/demo-logins.json`` (mode 0600)
    so later runs can print them again.
    """
    User = get_user_model()
    path = _password_file()
    known: dict[str, str] = {}
    if path.exists():
        known = json.loads(path.read_text(encoding="utf-8"))
    logins = []
    changed = False
    for username, role in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            password = _new_password()
            validate_password(password, User(username=username))
            user = staff_user_create(username=username, password=password, role=role)
            known[username] = password
            changed = True
        logins.append(
            DemoLogin(
                role=role,
                username=username,
                password=known.get(username, ""),
                user_id=user.pk,
            )
        )
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(known, fh, indent=2)
    return logins


def demo_logins_table(logins: list[DemoLogin]) -> str:
    """A bilingual plain-text table of the demo logins."""
    labels = {
        Role.ADMIN: "Admin 管理员",
        Role.OPERATIONS: "Operations 运营",
        Role.SERVICE: "Customer service 客服",
        Role.ACCOUNT_MANAGER: "Account manager 客户经理",
        Role.ANALYST: "Analyst 数据分析师",
    }
    header = ("Role 角色", "Username 用户名", "Password 密码")
    rows = [
        (
            labels[login.role],
            login.username,
            login.password or "(unchanged 未更改)",
        )
        for login in logins
    ]

    def width(text: str) -> int:
        # CJK characters take two columns in a terminal.
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    widths = [max(width(r[i]) for r in [header, *rows]) for i in range(3)]

    def line(cells: tuple[str, str, str]) -> str:
        return "  ".join(
            c + " " * (w - width(c)) for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])
