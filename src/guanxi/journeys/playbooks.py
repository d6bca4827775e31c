"""The seed playbooks shipped as journeys (off until an admin switches them
on), with their messages as stored templates in Chinese and English: seed
handbook 000, 2.1 获客期 (a welcome gift with a guide; a non-sales check-in
within 24 hours of the first purchase) and appendix 2's welcome e-mail.

The lifecycle playbooks (onboarding camp, birthday, repurchase reminder,
recommendation, VIP care, win-back) are in :mod:`playbooks_lifecycle`.

Made by :func:`guanxi.journeys.services.journey_playbooks_ensure`: a
template, coupon or journey of the same name or slug is left alone.
"""

from __future__ import annotations

from typing import Any

from guanxi.journeys import playbooks_lifecycle as lifecycle

__all__ = ["COUPONS", "JOURNEYS", "STAR_SEGMENT", "TEMPLATES"]

WELCOME_ZH = (
    "亲爱的{{ name }}：\n\n"
    "欢迎您！我们为您准备了一份专属欢迎礼（首单折扣、新人礼包），并附上使用指南："
    "产品功能介绍与常见问题解答。\n\n"
    "如果您在使用产品过程中有任何问题，随时可以联系我们的客服，我们会全力帮您解决。\n\n"
    "期待与您一起度过美好的时光！\n{{ store }}\n"
)
WELCOME_EN = (
    "Dear {{ name }},\n\n"
    "Welcome! We have prepared a welcome gift for you (a first-order discount and "
    "a starter pack), with a guide: what our products do and answers to common "
    "questions.\n\n"
    "If you have any question while using our products, contact our customer "
    "service at any time and we will do our best to help.\n\n"
    "We look forward to the good times ahead with you!\n{{ store }}\n"
)
CHECKIN_ZH = (
    "您好，{{ name }}，看到您昨天购买了我们的产品，想了解一下使用过程中有什么需要"
    "帮助的吗？\n\n{{ store }}\n"
)
CHECKIN_EN = (
    "Hello {{ name }}, we saw that you bought from us yesterday and would like to "
    "know: is there anything we can help you with while using it?\n\n{{ store }}\n"
)

TEMPLATES: list[dict[str, str]] = [
    {
        "name": "journey-welcome",
        "channel": "email",
        "purpose": "marketing",
        "subject_zh": "欢迎您，{{ name }}！为您准备了专属欢迎礼",
        "body_zh": WELCOME_ZH,
        "subject_en": "Welcome, {{ name }}! A welcome gift for you",
        "body_en": WELCOME_EN,
    },
    {
        "name": "journey-first-purchase-checkin",
        "channel": "email",
        "purpose": "service",
        "subject_zh": "使用过程中有什么需要帮助的吗？",
        "body_zh": CHECKIN_ZH,
        "subject_en": "Is there anything we can help with?",
        "body_en": CHECKIN_EN,
    },
]

JOURNEYS: list[dict[str, Any]] = [
    {
        "slug": "welcome",
        "name_zh": "新客欢迎",
        "name_en": "Welcome on sign-up",
        "definition": {
            "trigger": {"type": "event", "event": "customer_created"},
            "steps": [
                {
                    "id": "welcome",
                    "type": "send_message",
                    "template": "journey-welcome",
                    "next": "tag",
                },
                {"id": "tag", "type": "add_tag", "tag": "新人", "next": ""},
            ],
        },
    },
    {
        "slug": "first-purchase-checkin",
        "name_zh": "首购 24 小时回访",
        "name_en": "Check-in 24 hours after the first purchase",
        "definition": {
            "trigger": {"type": "event", "event": "first_purchase"},
            "steps": [
                {
                    "id": "wait",
                    "type": "wait",
                    "duration": {"hours": 24},
                    "next": "checkin",
                },
                {
                    "id": "checkin",
                    "type": "send_message",
                    "template": "journey-first-purchase-checkin",
                    "next": "",
                },
            ],
        },
    },
]

TEMPLATES += lifecycle.TEMPLATES
JOURNEYS += lifecycle.JOURNEYS
COUPONS = lifecycle.COUPONS
STAR_SEGMENT = lifecycle.STAR_SEGMENT
