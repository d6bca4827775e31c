"""The contract every channel keeps: send one envelope under its idempotency
key and say how it went — sent, retry later, or failed for good."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class Result:
    """How a send went. ``code`` is for the log and the message row: a status
    code and a short word, never an address or a body. ``suppress_address``:
    the address itself is bad (SMTP 5xx for the recipient). ``provider_id``:
    the provider's id of the sent message (an SMS BizId or SerialNo, a WeCom
    msgid), kept on the message to match delivery receipts."""

    outcome: Outcome
    code: str = ""
    suppress_address: bool = False
    provider_id: str = ""


@dataclass(frozen=True)
class Envelope:
    """One rendered message for one customer."""

    key: str  # the idempotency key: the same for every attempt of the message
    message_id: int
    customer_id: int
    purpose: str
    to: str  # the address on the channel ("" where the channel has none)
    subject: str
    text: str
    html: str
    unsubscribe_url: str = ""
    manager_id: int | None = None
    # The template's variables for this customer (name, store, …): channels
    # whose provider fills its own template (SMS) may send them one by one.
    values: dict[str, str] = field(default_factory=dict)


class Sender(Protocol):
    def send(self, envelope: Envelope) -> Result: ...

    def close(self) -> None: ...


def sent(provider_id: str = "") -> Result:
    return Result(Outcome.SENT, provider_id=provider_id[:64])


def retry(code: str) -> Result:
    return Result(Outcome.RETRY, code[:200])


def failed(code: str, *, suppress_address: bool = False) -> Result:
    return Result(Outcome.FAILED, code[:200], suppress_address)
