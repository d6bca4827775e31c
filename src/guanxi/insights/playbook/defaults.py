"""The playbook's default rows, from the seed playbooks (客户关系维护实操手册,
客户关系深度挖掘与交流活动方案). Plain data: migration ``0002_playbook`` writes
them, and an admin can restore them from the editor.

Each row: (stage, quadrant, priority, channel, title_zh, title_en, text_zh,
text_en); "" is any stage or any quadrant.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["DEFAULT_ACTIONS", "DefaultAction"]


class DefaultAction(NamedTuple):
    stage: str
    quadrant: str
    priority: int
    channel: str
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str


DEFAULT_ACTIONS: tuple[DefaultAction, ...] = (
    DefaultAction(
        "at_risk",
        "",
        90,
        "phone",
        "共情式关怀电话，按流失原因给出挽回权益",
        "Empathy call, with an offer matched to the reason",
        "用共情式话术询问原因：“您好，最近没看到您来购物，是产品哪里不满意吗？"
        "我们想听听您的意见。”按原因提供挽回权益：价格→专属折扣；服务→升级客户经理；"
        "产品→免费升级或新品试用。联系后 7 天内跟踪客户是否复购，未复购再调整策略。",
        "Ask why, with empathy: “Hello, we haven't seen you shopping with us "
        "lately — was there something about our products you weren't happy with? "
        "We'd like to hear what you think.” Offer what fits the reason: price → a "
        "personal discount; service → a senior account manager; product → a free "
        "upgrade or a new product to try. Within 7 days of the call, check whether "
        "they bought again; if not, change the approach.",
    ),
    DefaultAction(
        "lapsed",
        "",
        80,
        "phone",
        "30 天挽回计划",
        "30-day win-back plan",
        "精准诊断（1–7 天）：查看最后一次消费和投诉记录，电话了解流失原因；"
        "定制挽回（8–20 天）：按原因设计方案，发送《致客户的一封信》（改进承诺 + 专属权益）；"
        "价值重连（21–30 天）：邀请参加客户改进座谈会，提供回归专享礼包。"
        "无法挽回时发送流失原因问卷，并承诺后续改进会通知客户。",
        "Diagnose (days 1–7): look at the last purchase and any complaints, and "
        "call to learn why they left. Tailor (days 8–20): design an offer for that "
        "reason and send a personal letter with what you are improving and an "
        "exclusive benefit. Reconnect (days 21–30): invite them to a customer "
        "improvement meeting and give a welcome-back gift. If they cannot be won "
        "back, send the short why-did-you-leave survey and promise to tell them "
        "about the improvements.",
    ),
    DefaultAction(
        "new",
        "",
        70,
        "phone",
        "24 小时内非推销式回访",
        "24-hour check-in, not a sales call",
        "购买后 24 小时内，用非推销式话术询问使用感受：“您好，看到您昨天购买了[产品]，"
        "想了解一下使用过程中有什么需要帮助的吗？”并记录其偏好（购买渠道、产品型号、"
        "沟通风格），后续触达避免“一刀切”。",
        "Within 24 hours of the purchase, ask how it is going, without selling: "
        "“Hello, I saw you bought [product] yesterday — is there anything we can "
        "help you with as you start using it?” Note their preferences (channel, "
        "product, how they like to be contacted) so that later contact fits them.",
    ),
    DefaultAction(
        "prospect",
        "",
        60,
        "sms",
        "专属欢迎礼与首单优惠",
        "Welcome gift and first-order offer",
        "通过短信或邮件发送专属欢迎礼（首单折扣、新人礼包），附使用指南"
        "（产品介绍、常见问题解答），了解其需求与关注点。",
        "Send a personal welcome by SMS or e-mail with a first-order discount or "
        "starter gift and a short guide (what the products do, common questions), "
        "and learn what they need.",
    ),
    DefaultAction(
        "mature",
        "star",
        60,
        "phone",
        "品牌大使：价值共创与老带新",
        "Brand ambassador: co-creation and referrals",
        "邀请参与产品迭代（用户调研、新品内测）和内容共创（“分享你的使用故事，赢取奖品”）；"
        "老客带新奖励：“邀请 1 位好友下单，你和好友都能得 50 元无门槛券”。",
        "Invite them to shape the products (user research, early tests) and to "
        "share their story; reward referrals: “Invite a friend to order and you "
        "both get a ¥50 voucher.”",
    ),
    DefaultAction(
        "",
        "star",
        50,
        "phone",
        "一对一顾问服务与专属活动",
        "One-to-one adviser and exclusive events",
        "安排专属客户经理提供一对一顾问服务和定制化方案；提供稀缺权益："
        "限量款优先购买、VIP 闭门会、季度线下品鉴会邀请。",
        "Give them a personal account manager for one-to-one advice and tailored "
        "offers, and scarce benefits: first access to limited editions, VIP "
        "closed-door meetings, invitations to the quarterly tasting events.",
    ),
    DefaultAction(
        "",
        "cash_cow",
        40,
        "wecom",
        "需求调研与交叉推荐",
        "Needs survey and cross-sell",
        "定期做需求调研，挖掘潜在需求、提升潜在价值；按购买记录做产品交叉推荐"
        "（例：“您之前购买过[产品A]，现在[产品B]（搭配款）有优惠，要不要试试？”）。",
        "Survey their needs regularly to find what else they could use, and "
        "recommend what goes with what they buy (e.g. “You bought [product A] — "
        "[product B], which goes with it, is on offer now. Would you like to try "
        "it?”).",
    ),
    DefaultAction(
        "",
        "potential",
        30,
        "wecom",
        "新品试用与会员权益升级",
        "Product trial and member benefits",
        "培养消费习惯、提升当前价值：邀请新品试用、提供使用培训，告知升级后的会员权益"
        "（例：“再买 1 次就能升级为 VIP，享受 9 折优惠和优先发货”）。",
        "Build the buying habit to raise their current value: invite them to try "
        "new products, show them how to get the most out of them, and tell them "
        "what the next member level brings (e.g. “One more purchase makes you a "
        "VIP: 10 % off and priority shipping”).",
    ),
    DefaultAction(
        "",
        "basic",
        20,
        "sms",
        "自助服务与标准化触达",
        "Self-service and standard messages",
        "标准化服务、控制成本：引导使用自助服务渠道，纳入标准化营销触达"
        "（节日问候、生日祝福、复购提醒）。",
        "Standard service at low cost: point them to self-service channels and "
        "include them in the standard messages (holiday greetings, birthday "
        "wishes, repurchase reminders).",
    ),
    DefaultAction(
        "",
        "",
        0,
        "",
        "保持联系",
        "Keep in touch",
        "按客户偏好的渠道定期关怀：节日问候、生日祝福、使用技巧分享，而非单纯推销。",
        "Stay in touch on the channel they prefer: holiday greetings, birthday "
        "wishes, tips on using what they bought — not just sales messages.",
    ),
)
