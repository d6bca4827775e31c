"""Default words of ticket handling, from the seed handbook's complaint script
(000, appendix 2 投诉处理话术模板): the apology, what we need from the
customer, when they will hear back, and the progress notice sent when a
ticket cannot be solved in time. Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

__all__ = ["REPLY_TEMPLATES", "ReplyTemplate", "progress_notice"]


@dataclass(frozen=True)
class ReplyTemplate:
    key: str
    label: object
    zh: str
    en: str


REPLY_TEMPLATES = (
    ReplyTemplate(
        "apology",
        _("Apology"),
        "您好，非常抱歉让您遇到这样的问题。再次向您道歉，感谢您的理解和支持！",
        "Hello, we are very sorry you ran into this problem. Our apologies again, "
        "and thank you for your understanding and support!",
    ),
    ReplyTemplate(
        "need",
        _("What we need"),
        "请您告诉我具体情况（如订单号、问题描述），我会马上帮您核实并解决。",
        "Please tell us the details (such as the order number and what happened) "
        "and we will check and resolve it right away.",
    ),
    ReplyTemplate(
        "when",
        _("When you will hear back"),
        "您的问题我已经了解了，我们会在24小时内给您回复解决方案。"
        "如果您有其他需求，也可以随时跟我说。",
        "We have understood your problem and will reply with a solution within "
        "24 hours. If you need anything else, just tell us.",
    ),
)


def progress_notice(*, hours: int, language: str, link: str, subject: bool) -> str:
    """The progress notice as a message template (both languages, the
    customer's first; ``subject``: with an e-mail subject line)."""
    zh = (
        f"您好，您反馈的问题我们正在处理中，暂时还未能完全解决。"
        f"我们会在 {hours} 小时内给您回复。处理进度：{link}"
    )
    en = (
        f"Hello, we are still working on the problem you told us about and have "
        f"not solved it yet. We will get back to you within {hours} hours. "
        f"Progress: {link}"
    )
    first, second = (en, zh) if language == "en" else (zh, en)
    head = "Subject: 处理进度 / Progress of your request\n\n" if subject else ""
    return f"{head}{first}\n\n{second}\n"
