"""Mining the needs list: read every text customers wrote (tickets, survey
answers, reviews, complaints and notes) in chunks, hand them to
:class:`guanxi.analytics.needs.NeedMiner`, and write what it found in one
transaction.

A run is idempotent: the needs are kept by term (their status and synonyms
stay), their figures and mentions replaced; the same texts give the same
list. Texts are read through their apps' selectors (ticket and answer texts
by ``ticket_text_rows``/``answer_text_rows``, interaction notes decrypted by
customers' ``interaction_rows``), never from their tables.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from guanxi.analytics.needs import NeedMiner, NeedsMined, NeedText
from guanxi.commerce.selectors import purchase_rows
from guanxi.customers.choices import InteractionKind
from guanxi.customers.selectors import interaction_rows
from guanxi.feedback.selectors import ticket_text_rows
from guanxi.needs.choices import TextSource
from guanxi.needs.models import MiningRun, Need, NeedMention, NeedSynonym
from guanxi.surveys.selectors import answer_text_rows
from guanxi.surveys.services import TIMELINE_SOURCE

__all__ = ["MineResult", "needs_mine"]

CHUNK = 2000
#: Interactions whose note is something the customer said (visits, logins
#: and message events carry no words of theirs).
SPOKEN_KINDS = (
    InteractionKind.REVIEW,
    InteractionKind.COMPLAINT,
    InteractionKind.NOTE,
    InteractionKind.CALL,
    InteractionKind.CHAT,
    InteractionKind.COMMUNITY_POST,
)
#: Progress: (stage, texts read so far).
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class MineResult:
    run_id: int
    texts: int
    needs: int
    topics: int
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {
            "run": self.run_id,
            "texts": self.texts,
            "needs": self.needs,
            "topics": self.topics,
            "seconds": round(self.seconds, 3),
        }


def _month(moment: dt.datetime) -> str:
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return f"{local.year:04d}-{local.month:02d}"


def _texts(since: dt.datetime | None) -> Iterator[NeedText]:
    """Every text to mine, tickets first. An interaction that opened a
    ticket, and the timeline entry a survey answer writes, are the same words
    as the ticket or answer: read once."""
    from_tickets: set[int] = set()
    for pk, customer_id, at, text, interaction_id in ticket_text_rows(since=since):
        if interaction_id is not None:
            from_tickets.add(interaction_id)
        if text.strip():
            yield NeedText((TextSource.TICKET, pk), customer_id, _month(at), text)
    for pk, customer_id, at, text in answer_text_rows(since=since):
        yield NeedText((TextSource.ANSWER, pk), customer_id, _month(at), text)
    rows = (
        interaction_rows()
        .filter(kind__in=SPOKEN_KINDS, note__isnull=False)
        .exclude(source=TIMELINE_SOURCE)
        .order_by("id")
    )
    if since is not None:
        rows = rows.filter(occurred_at__gte=since)
    for pk, customer_id, at, note in rows.values_list(
        "id", "customer_id", "occurred_at", "note"
    ).iterator(chunk_size=CHUNK):
        if pk not in from_tickets and note.strip():
            yield NeedText((TextSource.INTERACTION, pk), customer_id, _month(at), note)


def _chunks(texts: Iterable[NeedText]) -> Iterator[list[NeedText]]:
    chunk: list[NeedText] = []
    for text in texts:
        chunk.append(text)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def synonym_map() -> dict[str, str]:
    """Each merged word → the term of the need it counts as."""
    return dict(NeedSynonym.objects.values_list("term", "need__term"))


def _revenue(customer_ids: set[int]) -> dict[int, Decimal]:
    """Each customer's spend on purchases (not cancelled or refunded)."""
    ids = sorted(customer_ids)
    found: dict[int, Decimal] = {}
    for i in range(0, len(ids), 500):
        rows = (
            purchase_rows()
            .filter(customer_id__in=ids[i : i + 500])
            .order_by()
            .values("customer_id")
            .annotate(total=Sum("amount"))
        )
        found.update((r["customer_id"], Decimal(r["total"] or 0)) for r in rows)
    return found


def _write(
    mined: NeedsMined, *, now: dt.datetime, run: MiningRun, revenue: dict[int, Decimal]
) -> None:
    topics = {t.number: list(t.terms) for t in mined.topics}
    existing = {n.term: n for n in Need.objects.all()}
    seen: set[int] = set()
    for found in mined.needs:
        need = existing.get(found.term) or Need(term=found.term)
        need.topic = found.topic
        need.topic_terms = topics.get(found.topic, [])
        need.phrases = list(found.phrases)
        need.texts = found.documents
        need.customers = len(found.customers)
        need.revenue = sum(
            (revenue.get(c, Decimal(0)) for c in found.customers), Decimal(0)
        )
        need.negative = found.negative
        need.negative_share = found.negative_share
        need.trend = dict(found.months)
        need.mined_at = now
        need.save()
        existing[found.term] = need
        seen.add(need.pk)
    # Needs not found this time keep their status, with nothing behind them.
    Need.objects.exclude(pk__in=seen).update(
        texts=0, customers=0, revenue=0, trend={}, phrases=[], mined_at=now
    )
    NeedMention.objects.all().delete()
    batch: list[NeedMention] = []
    for found in mined.needs:
        need = existing[found.term]
        for mention in found.mentions:
            batch.append(
                NeedMention(
                    need=need,
                    source=mention.key[0],
                    source_id=mention.key[1],
                    customer_id=mention.customer_id,
                    month=mention.month,
                    negative=mention.negative,
                )
            )
            if len(batch) >= CHUNK:
                NeedMention.objects.bulk_create(batch)
                batch = []
    NeedMention.objects.bulk_create(batch)
    run.finished_at = timezone.now()
    run.texts = mined.texts
    run.needs = len(mined.needs)
    run.save()


def needs_mine(
    *,
    since: dt.date | None = None,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    min_documents: int = 3,
) -> MineResult:
    """Mine every text (written on ``since`` or later) into the needs list;
    see the module's note."""
    started = time.perf_counter()
    now = now or timezone.now()
    moment = (
        timezone.make_aware(dt.datetime.combine(since, dt.time()))
        if since is not None
        else None
    )
    miner = NeedMiner(
        min_documents=min_documents,
        synonyms=synonym_map(),
        progress=(lambda n: progress("read", n)) if progress else None,
    )
    for chunk in _chunks(_texts(moment)):
        miner.add(chunk)
    mined = miner.finish()
    if progress:
        progress("found", mined.texts)
    everyone: set[int] = set().union(*(n.customers for n in mined.needs))
    revenue = _revenue(everyone)
    with transaction.atomic():
        run = MiningRun.objects.create(started_at=now, since=since)
        _write(mined, now=now, run=run, revenue=revenue)
        run.seconds = time.perf_counter() - started
        run.save(update_fields=["seconds"])
    return MineResult(
        run_id=run.pk,
        texts=mined.texts,
        needs=len(mined.needs),
        topics=len(mined.topics),
        seconds=run.seconds,
    )
