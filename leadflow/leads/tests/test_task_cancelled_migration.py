"""Migration 0021 tells the tasks Leadflow closed before it from the ones people did, by the results it wrote."""

from __future__ import annotations

import pytest
from django.utils import timezone

BEFORE, AFTER = ("leads", "0020_analytics_index_channel_offer"), ("leads", "0021_task_is_cancelled")


@pytest.mark.django_db(transaction=True)
def test_tasks_closed_by_leadflow_before_the_migration_are_cancelled(make_lead, migrate_to) -> None:
    lead_id = make_lead().pk
    task_model = migrate_to(BEFORE).get_model("leads", "Task")
    now = timezone.now()
    made = [task_model.objects.create(lead_id=lead_id, title="Call", due_at=now, completed_at=done, result=result)
            for result, done in (("Lead refused", now), ("Отказ по лиду", now), ("Converted into a client", now),
                                 ("Called, agreed a meeting", now), ("Lead refused", None))]
    task_model = migrate_to(AFTER).get_model("leads", "Task")
    cancelled = dict(task_model.objects.filter(pk__in=[t.pk for t in made]).values_list("pk", "is_cancelled"))
    assert [cancelled[task.pk] for task in made] == [True, True, True, False, False]
