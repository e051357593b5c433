"""pipeline.preview: what receive would do, decided without writing (the import's dry run)."""

from __future__ import annotations

from collections.abc import Callable

from leadflow.accounts.models import User
from leadflow.events.models import OutboxEvent
from leadflow.intake import pipeline
from leadflow.intake.models import Submission
from leadflow.leads.models import Lead


def inbound(payload: dict, by: User) -> pipeline.Inbound:
    return pipeline.Inbound(channel="import", payload=payload, submitted_by=by)


def test_preview_agrees_with_receive_and_writes_nothing(head: User, make_lead: Callable[..., Lead]) -> None:
    known = make_lead(first_name="Анна", last_name="Кузнецова", phone="+79161000002")
    bodies = [
        {"name": "Сергеев Пётр", "phone": "8 912 345-67-89"},
        {"name": "Анна Кузнецова", "phone": "8 (916) 100-00-02"},
        {"name": "Иванов Иван", "phone": "12"},
        {"phone": "+7 916 555-44-33"},
        {"name": "Spam", "phone": "+7 916 555-44-34", "_hp": "x"},
    ]
    writes = (Lead.objects.count(), Submission.objects.count(), OutboxEvent.objects.count())
    previews = [pipeline.preview(inbound(body, head)) for body in bodies]
    assert (Lead.objects.count(), Submission.objects.count(), OutboxEvent.objects.count()) == writes
    assert [p.status for p in previews] == ["created", "attached", "invalid", "interest", "spam"]
    assert previews[1].lead == known and "phone" in previews[1].matched_by
    assert "phone" in previews[2].errors
    outcomes = [pipeline.receive(inbound(body, head)) for body in bodies]
    assert [o.status for o in outcomes] == [p.status for p in previews]
