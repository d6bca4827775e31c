"""The lifecycle playbooks of the seed documents, shipped as journeys (off)
with their messages as stored templates and their coupons (off):

- ``onboarding-camp``: seed 002, 3.4 "7天体验营" (day 1 新手任务包 and a
  1V1 电话欢迎, day 3 互动直播 Q&A, day 5 需求调研问卷, day 7 《体验报告》
  with 专属优惠; then 体验良好可转化 / 需重点跟进 / 低意愿暂缓);
- ``birthday``: seed 000, 4.2 生日祝福及折扣;
- ``repurchase-reminder``: seed 000, 4.2 复购提醒 (30 days after the last
  purchase), or at the expected next purchase of the scoring;
- ``recommendation``: seed 000, 2.2 个性化推荐 and 权益升级引导
  ("再买1次就能升级为VIP");
- ``vip-care``: seed 000, 5.1 高价值客户每月专属折扣券 (满1000减200) and
  VIP俱乐部 (优先服务), seed 002, 3.2 私享会 invitation;
- ``win-back``: seed 002, 3.5 "30天挽回计划" (精准诊断 1–7 天, 定制挽回
  8–20 天: 价格→折扣券, 服务→升级客户经理, 价值重连 21–30 天).

"VIP" is the star value quadrant (CV high, PV high): Guanxi has no tier
model, so the upgrade nudge goes to growing customers of the potential
quadrant (PV high, CV not yet).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

__all__ = ["COUPONS", "JOURNEYS", "STAR_SEGMENT", "TEMPLATES"]

#: The shipped segment VIP care runs over (segments migration 0002).
STAR_SEGMENT = "明星客户 Star"

COUPONS: list[dict[str, Any]] = [
    {
        "slug": "journey-birthday",
        "per_customer_limit": 100,
        "name_zh": "生日礼券 9 折",
        "name_en": "Birthday coupon, 10 % off",
        "kind": "percent",
        "value": Decimal(10),
        "valid_days": 30,
    },
    {
        "slug": "journey-onboarding-offer",
        "name_zh": "体验营专属优惠 满 100 减 20",
        "name_en": "Onboarding camp offer, 20 off 100",
        "kind": "amount",
        "value": Decimal(20),
        "minimum_spend": Decimal(100),
        "valid_days": 14,
    },
    {
        "slug": "journey-vip-monthly",
        "per_customer_limit": 100,
        "name_zh": "VIP 月度专属券 满 1000 减 200",
        "name_en": "VIP monthly coupon, 200 off 1000",
        "kind": "amount",
        "value": Decimal(200),
        "minimum_spend": Decimal(1000),
        "valid_days": 30,
    },
    {
        "slug": "journey-win-back-price",
        "per_customer_limit": 100,
        "name_zh": "挽回专属 8 折券",
        "name_en": "Win-back coupon, 20 % off",
        "kind": "percent",
        "value": Decimal(20),
        "valid_days": 14,
    },
    {
        "slug": "journey-win-back-return",
        "per_customer_limit": 100,
        "name_zh": "回归专享礼 50 元无门槛券",
        "name_en": "Welcome-back gift, 50 off",
        "kind": "amount",
        "value": Decimal(50),
        "valid_days": 30,
    },
]


def _mail(
    name: str, purpose: str, subject: tuple[str, str], body: tuple[str, str]
) -> dict[str, str]:
    return {
        "name": name,
        "channel": "email",
        "purpose": purpose,
        "subject_zh": subject[0],
        "body_zh": body[0],
        "subject_en": subject[1],
        "body_en": body[1],
    }


_SIGN = "\n{{ store }}\n"

TEMPLATES: list[dict[str, str]] = [
    _mail(
        "journey-onboarding-day1",
        "service",
        ("{{ name }}，您的新手任务包", "{{ name }}, your getting-started pack"),
        (
            "亲爱的{{ name }}：\n\n欢迎加入 7 天体验营！这是您的新手任务包：注册引导、"
            "核心功能视频教程。我们的客户经理也会给您打一个欢迎电话。\n" + _SIGN,
            "Dear {{ name }},\n\nWelcome to the 7-day camp! Here is your "
            "getting-started pack: a sign-up guide and video tutorials of the main "
            "features. Your account manager will also call to welcome you.\n" + _SIGN,
        ),
    ),
    _mail(
        "journey-onboarding-day3",
        "marketing",
        ("邀请您参加互动直播", "Join our live Q&A"),
        (
            "{{ name }}，您好：\n\n邀请您参加互动直播“产品核心场景应用解析”，"
            "现场设有 Q&A 环节，欢迎带着问题来。\n" + _SIGN,
            "Hello {{ name }},\n\nJoin our live session on the main ways to use "
            "our products, with a Q&A: bring your questions.\n" + _SIGN,
        ),
    ),
    _mail(
        "journey-onboarding-day7",
        "marketing",
        ("您的体验报告与专属优惠", "Your camp report and an offer"),
        (
            "{{ name }}，您好：\n\n7 天体验营结营啦！这是您的《体验报告》与使用建议。"
            "{% if coupon_code %}送您一张专属优惠券：{{ coupon_code }}。{% endif %}\n"
            + _SIGN,
            "Hello {{ name }},\n\nThe 7-day camp is over: here is your report with "
            "tips for using our products."
            "{% if coupon_code %} Your own coupon: {{ coupon_code }}.{% endif %}\n"
            + _SIGN,
        ),
    ),
    _mail(
        "journey-birthday",
        "marketing",
        ("{{ name }}，生日快乐！", "Happy birthday, {{ name }}!"),
        (
            "亲爱的{{ name }}：\n\n祝您生日快乐！给您准备了一份专属生日礼"
            "{% if coupon_code %}：优惠券 {{ coupon_code }}，30 天内有效{% endif %}。\n"
            + _SIGN,
            "Dear {{ name }},\n\nHappy birthday! We have a gift for you"
            "{% if coupon_code %}: the coupon {{ coupon_code }}, valid for 30 days"
            "{% endif %}.\n" + _SIGN,
        ),
    ),
    _mail(
        "journey-repurchase-reminder",
        "marketing",
        ("想念你了", "We miss you"),
        (
            "{{ name }}，想念你了，来看看新到的"
            "{% if product %}{{ product }}{% else %}商品{% endif %}吧！\n" + _SIGN,
            "{{ name }}, we miss you: come and see what is new"
            "{% if product %}, such as {{ product }}{% endif %}!\n" + _SIGN,
        ),
    ),
    _mail(
        "journey-recommendation",
        "marketing",
        ("为您挑选的搭配好物", "Picked for you"),
        (
            "{{ name }}，您好：\n\n买过您所买商品的顾客也常买 {{ product }}（搭配款），"
            "要不要试试？\n" + _SIGN,
            "Hello {{ name }},\n\nCustomers who bought what you bought often also "
            "buy {{ product }}. Would you like to try it?\n" + _SIGN,
        ),
    ),
    _mail(
        "journey-vip-nudge",
        "marketing",
        ("离 VIP 只差一步", "One step from VIP"),
        (
            "{{ name }}，您好：\n\n再买 1 次就有望升级为 VIP，享受专属折扣和优先服务。\n"
            + _SIGN,
            "Hello {{ name }},\n\nOne more purchase may take you to VIP, with its "
            "own discounts and priority service.\n" + _SIGN,
        ),
    ),
    _mail(
        "journey-vip-care",
        "marketing",
        ("{{ name }}，本月 VIP 专属礼遇", "{{ name }}, your VIP month"),
        (
            "尊敬的{{ name }}：\n\n感谢您一直以来的支持。本月为您准备了专属折扣券"
            "{% if coupon_code %} {{ coupon_code }}{% endif %}；您享有优先服务"
            "（优先结账、免费送货、专属客服），并诚邀您参加本月的 VIP 私享会。\n"
            + _SIGN,
            "Dear {{ name }},\n\nThank you for your loyalty. This month's coupon "
            "for you"
            "{% if coupon_code %}: {{ coupon_code }}{% endif %}. You have priority "
            "service (checkout first, free delivery, your own adviser), and you "
            "are invited to this month's VIP meeting.\n" + _SIGN,
        ),
    ),
    _mail(
        "journey-win-back-price",
        "marketing",
        ("致{{ name }}的一封信", "A letter to you, {{ name }}"),
        (
            "{{ name }}，您好：\n\n感谢您告诉我们价格上的顾虑。我们为您准备了专属折扣"
            "{% if coupon_code %}：{{ coupon_code }}{% endif %}，希望再次为您服务。\n"
            + _SIGN,
            "Hello {{ name }},\n\nThank you for telling us about the price. Here is "
            "a discount of your own"
            "{% if coupon_code %}: {{ coupon_code }}{% endif %}; we hope to serve "
            "you again.\n" + _SIGN,
        ),
    ),
    _mail(
        "journey-win-back-letter",
        "marketing",
        ("致{{ name }}的一封信", "A letter to you, {{ name }}"),
        (
            "{{ name }}，您好：\n\n最近没看到您来购物，我们听取了您的意见并做了改进"
            "{% if manager %}，您的客户经理 {{ manager }} 会为您专门跟进{% endif %}。"
            "期待再次为您服务。\n" + _SIGN,
            "Hello {{ name }},\n\nWe have not seen you for a while. We listened to "
            "you and made changes"
            "{% if manager %}; {{ manager }}, your account manager, will look "
            "after you{% endif %}. We hope to serve you again.\n" + _SIGN,
        ),
    ),
    _mail(
        "journey-win-back-reconnect",
        "marketing",
        ("邀请您参加客户改进座谈会", "Come to our customer meeting"),
        (
            "{{ name }}，您好：\n\n诚邀您参加“客户改进座谈会”，听听我们的改进成果。"
            "送您一份回归专享礼包"
            "{% if coupon_code %}：{{ coupon_code }}{% endif %}。\n" + _SIGN,
            "Hello {{ name }},\n\nYou are invited to our customer meeting to see "
            "what we improved. A welcome-back gift for you"
            "{% if coupon_code %}: {{ coupon_code }}{% endif %}.\n" + _SIGN,
        ),
    ),
]


def _send(sid: str, template: str, next_step: str = "") -> dict[str, Any]:
    return {"id": sid, "type": "send_message", "template": template, "next": next_step}


def _wait(sid: str, days: int, next_step: str) -> dict[str, Any]:
    return {"id": sid, "type": "wait", "duration": {"days": days}, "next": next_step}


def _task(sid: str, note: str, due_days: int, next_step: str) -> dict[str, Any]:
    return {
        "id": sid,
        "type": "create_task",
        "note": note,
        "due_days": due_days,
        "next": next_step,
    }


def _if(sid: str, field: str, op: str, value: Any, yes: str, no: str) -> dict[str, Any]:
    return {
        "id": sid,
        "type": "condition",
        "field": field,
        "op": op,
        "value": value,
        "then": yes,
        "else": no,
    }


def _coupon(sid: str, slug: str, next_step: str) -> dict[str, Any]:
    return {"id": sid, "type": "issue_coupon", "coupon": slug, "next": next_step}


def _tag(sid: str, tag: str) -> dict[str, Any]:
    return {"id": sid, "type": "add_tag", "tag": tag, "next": ""}


ONBOARDING = [
    _if("qualifies", "first_order_below_average", "is", True, "pack", "skip"),
    _send("pack", "journey-onboarding-day1", "call"),
    _task(
        "call",
        "7 天体验营第 1 天：1V1 电话欢迎新客户，了解初期需求。"
        " Onboarding day 1: a welcome call, ask what they need.",
        1,
        "wait-day3",
    ),
    _wait("wait-day3", 2, "live"),
    _send("live", "journey-onboarding-day3", "wait-day5"),
    _wait("wait-day5", 2, "survey"),
    {"id": "survey", "type": "send_survey", "survey": "needs", "next": "wait-day7"},
    _wait("wait-day7", 2, "offer"),
    _coupon("offer", "journey-onboarding-offer", "report"),
    _send("report", "journey-onboarding-day7", "wait-sort"),
    _wait("wait-sort", 1, "bought"),
    _if("bought", "purchased_since_entry", "is", True, "ready", "answered"),
    _if("answered", "survey_answered_since_entry", "is", True, "follow-up", "not-now"),
    _tag("ready", "体验良好可转化"),
    _tag("follow-up", "需重点跟进"),
    _tag("not-now", "低意愿暂缓"),
    {"id": "skip", "type": "exit"},
]

WIN_BACK = [
    _if("worth", "value_vs_average", "gte", 1, "diagnose", "skip"),
    _task(
        "diagnose",
        "30 天挽回计划·精准诊断（第 1–7 天）：电话沟通，了解流失原因；关闭任务时"
        "记录原因（价格/服务/产品/竞品）。 Win-back diagnosis: call, ask why they "
        "left and record the reason when closing the task.",
        7,
        "wait-remedy",
    ),
    _wait("wait-remedy", 7, "price"),
    _if("price", "task_reason", "eq", "price", "coupon", "service"),
    _coupon("coupon", "journey-win-back-price", "letter-price"),
    _send("letter-price", "journey-win-back-price", "wait-reconnect"),
    _if("service", "task_reason", "eq", "service", "upgrade", "letter"),
    _task(
        "upgrade",
        "30 天挽回计划·定制挽回：服务问题，升级客户经理并主动联系。"
        " Win-back remedy for service: upgrade the account manager and call.",
        3,
        "letter",
    ),
    _send("letter", "journey-win-back-letter", "wait-reconnect"),
    _wait("wait-reconnect", 13, "gift"),
    _coupon("gift", "journey-win-back-return", "invite"),
    _send("invite", "journey-win-back-reconnect", "wait-end"),
    _wait("wait-end", 9, ""),
    {"id": "skip", "type": "exit"},
]

JOURNEYS: list[dict[str, Any]] = [
    {
        "slug": "onboarding-camp",
        "name_zh": "7 天新客体验营",
        "name_en": "7-day onboarding camp",
        "definition": {
            "trigger": {"type": "event", "event": "customer_created"},
            "steps": ONBOARDING,
        },
    },
    {
        "slug": "birthday",
        "name_zh": "生日祝福",
        "name_en": "Birthday greeting",
        "entry_rule": "per_period",
        "entry_period": "year",
        "definition": {
            "trigger": {"type": "date", "field": "birthday"},
            "steps": [
                _coupon("gift", "journey-birthday", "greet"),
                _send("greet", "journey-birthday"),
            ],
        },
    },
    {
        "slug": "repurchase-reminder",
        "name_zh": "复购提醒",
        "name_en": "Repurchase reminder",
        "entry_rule": "reentry",
        "exit_on_purchase": True,
        "definition": {
            "trigger": {"type": "date", "field": "repurchase_due", "days": 30},
            "steps": [
                {
                    "id": "pick",
                    "type": "recommend",
                    "next": "remind",
                    "none_next": "remind",
                },
                _send("remind", "journey-repurchase-reminder"),
            ],
        },
    },
    {
        "slug": "recommendation",
        "name_zh": "成长期个性化推荐",
        "name_en": "Recommendations for growing customers",
        "entry_rule": "per_period",
        "entry_period": "month",
        "definition": {
            "trigger": {"type": "event", "event": "stage_change", "stage": "growing"},
            "steps": [
                {
                    "id": "pick",
                    "type": "recommend",
                    "next": "suggest",
                    "none_next": "vip",
                },
                _send("suggest", "journey-recommendation", "vip"),
                _if("vip", "quadrant", "eq", "potential", "nudge", ""),
                _send("nudge", "journey-vip-nudge"),
            ],
        },
    },
    {
        "slug": "vip-care",
        "name_zh": "VIP 月度关怀",
        "name_en": "Monthly VIP care",
        "entry_rule": "per_period",
        "entry_period": "month",
        "definition": {
            # The segment: the shipped star segment's id, when it is added.
            "trigger": {"type": "schedule", "segment": None, "every": "month"},
            "steps": [
                _coupon("coupon", "journey-vip-monthly", "care"),
                _send("care", "journey-vip-care", "priority"),
                _task(
                    "priority",
                    "VIP 月度关怀：优先服务，致电问候并邀请参加本月 VIP 私享会。"
                    " VIP care: priority service, call and invite them to this "
                    "month's VIP meeting.",
                    3,
                    "",
                ),
            ],
        },
    },
    {
        "slug": "win-back",
        "name_zh": "30 天挽回计划",
        "name_en": "30-day win-back",
        "entry_rule": "per_period",
        "entry_period": "year",
        "exit_on_purchase": True,
        "definition": {
            "trigger": {"type": "event", "event": "stage_change", "stage": "lapsed"},
            "steps": WIN_BACK,
        },
    },
]
