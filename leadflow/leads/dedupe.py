"""`leadflow dedupe` over the database: the same person among leads and client contacts.

It reports every group of cards judged one person and, on request, merges the sure groups of
leads into one survivor each (a converted lead survives, since its client links to it; else the
oldest, which keeps the first touch). Groups that include a client contact are reported for a
person to decide: a lead is not merged into the client directory automatically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from leadflow.accounts.models import User
from leadflow.core.errors import DomainError
from leadflow.leads.merging import merge_leads
from leadflow.leads.models import Lead, LeadState
from leadflow.matching.batch import cluster_features
from leadflow.matching.models import CardType
from leadflow.matching.record import compute_features
from leadflow.matching.services import load_records

BATCH = 5000


@dataclass
class Group:
    members: list[tuple[str, int]]
    merged_into: int | None = None
    note: str = ""


@dataclass
class ScanReport:
    cards: int = 0
    groups: list[Group] = field(default_factory=list)
    merged: int = 0


def _refs() -> list[tuple[str, int]]:
    from leadflow.clients.models import Contact

    leads = Lead.objects.exclude(state=LeadState.MERGED).order_by("pk").values_list("pk", flat=True)
    contacts = Contact.objects.order_by("pk").values_list("pk", flat=True)
    return [(CardType.LEAD, pk) for pk in leads.iterator()] + [(CardType.CONTACT, pk) for pk in contacts.iterator()]


def scan(*, threshold: float, merge_as: User | None = None,
         progress: Callable[[int, int], None] | None = None) -> ScanReport:
    """Cluster the whole base; merge the sure groups of leads when `merge_as` is given."""
    refs = _refs()
    records = {}
    for start in range(0, len(refs), BATCH):
        records.update(load_records(set(refs[start:start + BATCH])))
    ordered = [ref for ref in refs if ref in records]
    labels = cluster_features([compute_features(records[ref]) for ref in ordered], threshold=threshold,
                              progress=progress)
    grouped: dict[int, list[tuple[str, int]]] = {}
    for ref, label in zip(ordered, labels, strict=True):
        grouped.setdefault(label, []).append(ref)
    report = ScanReport(cards=len(ordered))
    for members in grouped.values():
        if len(members) < 2:
            continue
        group = Group(members=members)
        report.groups.append(group)
        if merge_as is not None:
            _merge_group(group, by=merge_as)
            report.merged += len(members) - 1 if group.merged_into else 0
    return report


def _merge_group(group: Group, *, by: User) -> None:
    if any(card_type != CardType.LEAD for card_type, _ in group.members):
        group.note = "includes a client contact: decide by hand"
        return
    leads = list(Lead.objects.filter(pk__in=[pk for _, pk in group.members]).order_by("created_at", "pk"))
    converted = [lead for lead in leads if lead.state == LeadState.CONVERTED]
    if len(converted) > 1:
        group.note = "two converted leads: decide by hand"
        return
    survivor = converted[0] if converted else leads[0]
    try:
        with transaction.atomic():
            merge_leads(survivor=survivor, others=[lead for lead in leads if lead.pk != survivor.pk], by=by)
    except DomainError as error:
        group.note = error.message
        return
    group.merged_into = survivor.pk
