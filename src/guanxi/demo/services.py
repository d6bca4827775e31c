"""The demo app's face: fill demo data, make the demo users, print their logins."""

from __future__ import annotations

from guanxi.demo.arguments import whole_number
from guanxi.demo.generator import DEMO_LANGUAGES, DemoRefused, DemoResult, demo_fill
from guanxi.demo.users import DemoLogin, demo_logins_table, demo_users_ensure

__all__ = [
    "DEMO_LANGUAGES",
    "DemoLogin",
    "DemoRefused",
    "DemoResult",
    "demo_fill",
    "demo_logins_table",
    "demo_users_ensure",
    "whole_number",
]
