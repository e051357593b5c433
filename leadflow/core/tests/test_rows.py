"""rows.insert / insert_many / update write exactly the rows the ORM's save() writes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models.signals import post_save

from leadflow.core import rows
from leadflow.events.models import OutboxEvent
from leadflow.leads.models import Lead, Request, Stage, Task, TaskKind
from leadflow.matching.models import IdentityKey

pytestmark = pytest.mark.django_db


def test_insert_matches_what_the_orm_writes(alice) -> None:  # type: ignore[no-untyped-def]
    by_orm = OutboxEvent.objects.create(name="lead.created", payload={"lead_id": 7, "names": ["Пётр", "<b>"]})
    by_rows = rows.create(OutboxEvent, name="lead.created", payload={"lead_id": 7, "names": ["Пётр", "<b>"]})
    assert by_rows.pk and by_rows.pk != by_orm.pk and not by_rows._state.adding
    stored = OutboxEvent.objects.get(pk=by_rows.pk)
    assert stored.payload == {"lead_id": 7, "names": ["Пётр", "<b>"]}  # JSON prepared as the ORM does
    assert stored.created_at == by_rows.created_at  # auto_now_add filled on the instance and in the row
    assert stored.created_at is not None and stored.delivered_at is None and stored.attempts == 0


def test_insert_follows_foreign_keys_and_model_hooks(sales, alice) -> None:  # type: ignore[no-untyped-def]
    lead = rows.create(Lead, full_name="Иванов Пётр", phone="+79001234567", email="Petr@Example.ru", team=sales,
                       stage=Stage.objects.order_by("position").first())
    stored = Lead.objects.get(pk=lead.pk)
    assert stored.team_id == sales.pk
    assert stored.search_text == "иванов пётр petr@example.ru +79001234567"  # what Lead.save() adds
    due = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    task = rows.create(Task, lead=lead, assignee=alice, kind=TaskKind.CALL, due_at=due, title="Call")
    assert Task.objects.get(pk=task.pk).due_at == due and Task.objects.get(pk=task.pk).assignee == alice
    request = rows.create(Request, lead=lead, message="Перезвоните", facts={"phone": "+79001234567"})
    assert list(lead.requests.values_list("pk", flat=True)) == [request.pk]


def test_insert_many_ignores_conflicts_like_bulk_create() -> None:
    keys = [IdentityKey(kind="phone", value="+79001234567", card_type="lead", card_id=1),
            IdentityKey(kind="email", value="a@example.ru", card_type="lead", card_id=1)]
    rows.insert_many(keys, ignore_conflicts=True)
    rows.insert_many([IdentityKey(kind="phone", value="+79001234567", card_type="lead", card_id=1),
                      IdentityKey(kind="phone", value="+79001234568", card_type="lead", card_id=1)],
                     ignore_conflicts=True)
    assert sorted(IdentityKey.objects.values_list("value", flat=True)) == ["+79001234567", "+79001234568",
                                                                          "a@example.ru"]


def test_update_writes_only_the_named_fields() -> None:
    event = rows.create(OutboxEvent, name="x", payload={})
    OutboxEvent.objects.filter(pk=event.pk).update(last_error="kept")
    event.attempts, event.name = 3, "changed in memory only"
    rows.update(event, "attempts")
    stored = OutboxEvent.objects.get(pk=event.pk)
    assert (stored.attempts, stored.name, stored.last_error) == (3, "x", "kept")


def test_a_model_someone_listens_to_goes_through_save() -> None:
    heard = []

    def listener(sender, instance, created, **kwargs):  # type: ignore[no-untyped-def]
        heard.append((instance.name, created))

    post_save.connect(listener, sender=OutboxEvent)
    try:
        assert not rows.is_plain(OutboxEvent)
        rows.create(OutboxEvent, name="heard", payload={})
    finally:
        post_save.disconnect(listener, sender=OutboxEvent)
    assert heard == [("heard", True)]
    assert rows.is_plain(OutboxEvent)
    assert not rows.is_plain(Stage)  # the stages' memo listens to their saves
