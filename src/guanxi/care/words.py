"""Warnings in plain words: each signal's reason (in the reader's language)
and the default scripts, taken from the seed handbook."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.care.choices import Signal

__all__ = ["DEFAULT_SCRIPTS", "FOLLOW_UP_SCRIPT", "RECONNECT_SCRIPT", "signal_reason"]

#: The words of the plan's later steps, when the first contact brought no
#: purchase: an offer, still without pressure (seed handbook 000, 2.4:
#: 挽回权益; 002, 3.5: 定制挽回).
FOLLOW_UP_SCRIPT = (
    "您好,上次和您聊过之后,我们一直在想怎么做得更好。我们为您准备了一份专属优惠,"
    "希望还有机会为您服务。",
    "Hello, since we last spoke we have been thinking about how to do better. "
    "We have set aside an offer just for you, and hope to be of service again.",
)

#: The words of the third step, when the offer brought no purchase either:
#: what changed, an invitation and a welcome-back gift (seed 002, 3.5:
#: 价值重连 — 客户改进座谈会, 回归专享礼包). Later steps without their own
#: words use these.
RECONNECT_SCRIPT = (
    "您好,感谢您之前提出的意见。我们根据您和其他客户的反馈做了改进,诚邀您参加"
    "我们的客户改进座谈会,听听我们的变化;我们还为您准备了一份回归专享礼包,"
    "期待再次为您服务。",
    "Hello, thank you for what you told us. We have made changes based on your "
    "feedback and other customers', and would like to invite you to our customer "
    "meeting to hear what changed. We have also set aside a welcome-back gift for "
    "you, and hope to serve you again.",
)

#: The suggested words per signal (Chinese, English). The no-purchase script
#: is the seed handbook's own (000, 2.4); the complaint one follows its
#: complaint-handling template (appendix 2).
DEFAULT_SCRIPTS: dict[str, tuple[str, str]] = {
    Signal.NO_PURCHASE: (
        "您好,最近没看到您来购物,是产品哪里不满意吗?我们想听听您的意见。",
        "Hello, we haven't seen you for a while. Was there something about our "
        "products you weren't happy with? We'd like to hear what you think.",
    ),
    Signal.PAST_RHYTHM: (
        "您好,好久没见到您了,最近一切都好吗?是产品哪里不满意吗?我们想听听您的意见。",
        "Hello, it has been a while since we last saw you. Is everything all "
        "right? If something didn't suit you, we'd like to hear about it.",
    ),
    Signal.LOW_P_ALIVE: (
        "您好,好久没见到您了,最近一切都好吗?是产品哪里不满意吗?我们想听听您的意见。",
        "Hello, it has been a while since we last saw you. Is everything all "
        "right? If something didn't suit you, we'd like to hear about it.",
    ),
    Signal.QUIET: (
        "您好,最近没怎么收到您的消息,想问问您最近使用得怎么样,有什么需要帮助的吗?",
        "Hello, we haven't heard from you lately. How are things going, and "
        "is there anything we can help with?",
    ),
    Signal.ACTIVITY_DROP: (
        "您好,最近没怎么收到您的消息,想问问您最近使用得怎么样,有什么需要帮助的吗?",
        "Hello, we haven't heard from you lately. How are things going, and "
        "is there anything we can help with?",
    ),
    Signal.COMPLAINTS: (
        "您好,非常抱歉最近给您带来了不好的体验。请您告诉我具体情况,我会马上帮您核实并解决。",
        "Hello, we are very sorry for the trouble you've had recently. Please "
        "tell me what happened and I will look into it and sort it out right away.",
    ),
    Signal.NEGATIVE_FEEDBACK: (
        "您好,看到了您的反馈,非常抱歉让您有这样的感受。能和我们具体说说吗?我们想听听您的意见。",
        "Hello, we saw your feedback and we're sorry you felt that way. Could "
        "you tell us more? We'd like to hear what you think.",
    ),
    Signal.CHURN_RISK: (
        "您好,想问问您最近使用我们的产品感觉怎么样,有什么我们可以做得更好的吗?",
        "Hello, how have you been finding our products lately? Is there "
        "anything we could do better?",
    ),
}


def signal_reason(signal: str, details: dict[str, Any]) -> str:
    """One signal's reason in plain words, with its figures."""
    if signal == Signal.NO_PURCHASE:
        days = int(details.get("days", 0))
        return ngettext(
            "No purchase for %(days)d day.", "No purchase for %(days)d days.", days
        ) % {"days": days}
    if signal == Signal.PAST_RHYTHM:
        return _(
            "%(days)d days since the last purchase; they usually buy every "
            "%(gap).0f days."
        ) % {"days": int(details.get("days", 0)), "gap": float(details.get("gap", 0))}
    if signal == Signal.LOW_P_ALIVE:
        return _("The chance they still buy from us is %(p).0f%%.") % {
            "p": 100 * float(details.get("p_alive", 0))
        }
    if signal == Signal.QUIET:
        days = int(details.get("days", 0))
        return ngettext(
            "No visit, open, click or post for %(days)d day after being active.",
            "No visit, open, click or post for %(days)d days after being active.",
            days,
        ) % {"days": days}
    if signal == Signal.ACTIVITY_DROP:
        return _(
            "%(this)d visits, opens, clicks or posts this week after %(last)d "
            "the week before."
        ) % {
            "this": int(details.get("this_week", 0)),
            "last": int(details.get("last_week", 0)),
        }
    if signal == Signal.COMPLAINTS:
        return _("%(count)d complaints in %(month)s.") % {
            "count": int(details.get("count", 0)),
            "month": str(details.get("month", "")),
        }
    if signal == Signal.NEGATIVE_FEEDBACK and "survey" in details:
        return _("Survey answer: %(survey)s %(score)s. %(reason)s") % {
            "survey": str(details.get("survey", "")).upper()[:8],
            "score": str(details.get("score", ""))[:4],
            "reason": str(details.get("reason", ""))[:300],
        }
    if signal == Signal.NEGATIVE_FEEDBACK:
        return _("Wrote something negative (%(p).0f%% negative).") % {
            "p": 100 * float(details.get("negative_probability", 0))
        }
    if signal == Signal.CHURN_RISK:
        return _("Churn risk %(risk).0f%%.") % {
            "risk": 100 * float(details.get("risk", 0))
        }
    return _("Unknown signal.")
