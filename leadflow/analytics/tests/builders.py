"""Hand-made rows for the report tests: every figure a test expects is counted from these by hand."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from leadflow.leads.models import Lead, Stage, StageChange, Task
from leadflow.leads.services import refresh_stage_reach

MOSCOW = ZoneInfo("Europe/Moscow")


def at(text: str, zone: ZoneInfo = MOSCOW) -> datetime:
    """'2026-01-10 23:30' in Moscow time, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def stage(code: str) -> Stage:
    return Stage.objects.get(code=code)


def make(*, created: datetime, name: str = "", stages: tuple[str, ...] = (), state: str = "open",
         converted_after: timedelta | None = None, sla_due: datetime | None = None,
         sales_since: datetime | None = None, **fields: Any) -> Lead:
    """A lead row with its stage history; `stages` are the stages it moved through after New.

    With `sla_due` the lead was routed to sales (at `sales_since`, its creation unless it was handed over from
    marketing later) with a first task due then."""
    last = stage(stages[-1]) if stages else stage("new")
    if converted_after is not None:
        state, last = "converted", stage("won")
        fields["converted_at"] = created + converted_after
    if state == "refused":
        last = stage("lost")
    lead = Lead.objects.create(full_name=name or "Lead", stage=last, state=state, created_at=created,
                               channel=fields.pop("channel", "form"), **fields)
    StageChange.objects.create(lead=lead, to_stage=stage("new"), to_state="open", changed_at=created)
    moment = created
    for code in stages:
        moment += timedelta(hours=1)
        StageChange.objects.create(lead=lead, to_stage=stage(code), to_state="open", changed_at=moment)
    if converted_after is not None:
        StageChange.objects.create(lead=lead, to_stage=stage("won"), to_state="converted",
                                   changed_at=fields["converted_at"])
    if sla_due is not None:
        Task.objects.create(lead=lead, assignee=lead.owner, title="Call the lead", due_at=sla_due)
        Lead.objects.filter(pk=lead.pk).update(sla_due_at=sla_due, sales_since=sales_since or created)
    refresh_stage_reach([lead.pk])  # rows written directly: sum the history up as the services would
    lead.refresh_from_db()
    return lead
