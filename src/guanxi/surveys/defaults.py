"""The shipped texts of the four surveys, in both languages, from the seed
documents: the churn question and its promise "后续改进会通知您" (handbook
000, 2.4), the reasons 价格/服务/产品/竞品 (programme 002, 3.5), the needs
survey of the 7-day camp's day 5 "使用痛点+兴趣偏好" (002, 3.4), the
non-sales "想了解一下使用过程中…" wording of the check-in (000, 2.1)."""

from __future__ import annotations

from typing import Any

#: The text keys every survey has, in the order the edit page shows them.
KEYS = (
    "title",
    "intro",
    "question",
    "detail",
    "scenario",
    "pain_points",
    "interests",
    "thanks",
    "invite_subject",
    "invite_body",
)
TEXT_MAX = 2000

_INVITE_BODY_ZH = (
    "{{{{ name }}}}您好，\n\n{intro}\n\n请点击这里回答（约 1 分钟）：{{{{ survey_url }}}}\n\n"
    "感谢您的时间！\n{{{{ store }}}}"
)
_INVITE_BODY_EN = (
    "Hello {{{{ name }}}},\n\n{intro}\n\nAnswer here (about a minute): "
    "{{{{ survey_url }}}}\n\nThank you for your time!\n{{{{ store }}}}"
)

DEFAULTS: dict[str, dict[str, dict[str, str]]] = {
    "nps": {
        "zh-hans": {
            "title": "您愿意向朋友推荐我们吗？",
            "intro": "想了解一下您最近的体验，您的意见能帮助我们做得更好。",
            "question": "您有多大可能把我们推荐给朋友或同事？（0 = 完全不可能，10 = 非常可能）",
            "detail": "请告诉我们打这个分数的主要原因",
            "thanks": "感谢您的反馈！我们会认真阅读每一条意见。",
            "invite_subject": "想听听您的意见：您愿意推荐我们吗？",
        },
        "en": {
            "title": "Would you recommend us to a friend?",
            "intro": "We would like to hear about your recent experience: your "
            "view helps us do better.",
            "question": "How likely are you to recommend us to a friend or "
            "colleague? (0 = not at all likely, 10 = extremely likely)",
            "detail": "What is the main reason for your score?",
            "thanks": "Thank you for your feedback! We read every answer.",
            "invite_subject": "Your view: would you recommend us?",
        },
    },
    "csat": {
        "zh-hans": {
            "title": "服务满意度",
            "intro": "想了解一下您对这次服务是否满意。",
            "question": "您对这次的服务满意吗？（1 = 非常不满意，5 = 非常满意）",
            "detail": "还有什么想告诉我们的吗？",
            "thanks": "感谢您的评价！如有问题，我们会尽快跟进。",
            "invite_subject": "您对这次的服务满意吗？",
        },
        "en": {
            "title": "How satisfied are you?",
            "intro": "We would like to know whether you were satisfied with our "
            "service.",
            "question": "How satisfied are you with our service? (1 = very "
            "dissatisfied, 5 = very satisfied)",
            "detail": "Anything else you would like to tell us?",
            "thanks": "Thank you for your rating! If something went wrong we "
            "will follow it up soon.",
            "invite_subject": "Were you satisfied with our service?",
        },
    },
    "churn": {
        "zh-hans": {
            "title": "我们想听听您的意见",
            "intro": "您好，最近没看到您，是哪里不满意吗？我们想听听您的意见。",
            "question": "请问是什么原因让您不再选择我们？选 1-2 个选项，帮助我们改进",
            "detail": "其他原因或想对我们说的话",
            "thanks": "感谢您的反馈！后续改进会通知您。",
            "invite_subject": "我们想听听您的意见",
        },
        "en": {
            "title": "We would like to hear from you",
            "intro": "We have not seen you for a while: was something not "
            "right? We would like to hear your view.",
            "question": "What made you stop choosing us? Pick one or two, to "
            "help us improve.",
            "detail": "Another reason, or anything you would like to tell us",
            "thanks": "Thank you for your feedback! We will let you know when "
            "we have improved.",
            "invite_subject": "We would like to hear from you",
        },
    },
    "needs": {
        "zh-hans": {
            "title": "个性化需求调研",
            "intro": "为了给您更合适的建议，想了解一下您的使用场景、痛点和兴趣偏好。",
            "scenario": "您主要在什么场景下使用我们的产品？（如家庭/商务）",
            "pain_points": "使用中遇到的痛点，或最希望改进的问题",
            "interests": "您感兴趣的内容或偏好",
            "thanks": "感谢您的分享！我们会根据您的需求为您准备专属建议。",
            "invite_subject": "想了解一下您的需求",
        },
        "en": {
            "title": "Tell us what you need",
            "intro": "To suggest what suits you, we would like to know how you "
            "use our products, what gets in the way and what interests you.",
            "scenario": "Where do you mainly use our products? (e.g. at home, "
            "for work)",
            "pain_points": "What gets in the way, or what would you most like "
            "us to improve?",
            "interests": "What interests you, or what do you prefer?",
            "thanks": "Thank you for sharing! We will prepare suggestions that "
            "fit your needs.",
            "invite_subject": "Tell us what you need",
        },
    },
}

PURPOSES = {
    "nps": "service",
    "csat": "service",
    "churn": "marketing",
    "needs": "marketing",
}
TRIGGERS: dict[str, list[str]] = {
    "nps": ["order_delivered", "event_attended"],
    "csat": ["ticket_solved"],
    "churn": ["customer_lapsed"],
    "needs": [],
}


def default_texts(kind: str) -> dict[str, dict[str, str]]:
    """The shipped texts of ``kind`` with every key (empty when unused)."""
    found: dict[str, dict[str, str]] = {}
    for language, texts in DEFAULTS[kind].items():
        full = {key: texts.get(key, "") for key in KEYS}
        intro = texts.get("intro", "")
        body = _INVITE_BODY_ZH if language == "zh-hans" else _INVITE_BODY_EN
        full["invite_body"] = body.format(intro=intro)
        found[language] = full
    return found


def default_rows() -> list[dict[str, Any]]:
    """The four surveys as shipped (the data migration's rows)."""
    return [
        {
            "kind": kind,
            "texts": default_texts(kind),
            "purpose": PURPOSES[kind],
            "triggers": TRIGGERS[kind],
        }
        for kind in DEFAULTS
    ]
