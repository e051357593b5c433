"""The team page's SLA breaches are the speed report's: open leads not contacted past their first contact's deadline
(the first task's due time), late by the team's working time."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from leadflow.analytics import reports
from leadflow.analytics.filters import parse_filter
from leadflow.leads import services
from leadflow.leads.models import Task

MOSCOW = ZoneInfo("Europe/Moscow")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MOSCOW)


def breaches_section(client, head) -> str:
    client.force_login(head)
    page = client.get("/team/").content.decode()
    return page[page.index("SLA breaches"):]


def test_a_lead_due_friday_evening_is_minutes_late_on_monday_morning(client, time_machine, head, sales, make_lead):
    sales.work_start, sales.work_end, sales.work_days = time(9), time(18), [0, 1, 2, 3, 4]
    sales.save()
    time_machine.move_to(at("2026-03-06 17:35"), tick=False)  # a Friday
    lead = make_lead(first_name="Late")
    assert Task.objects.get(lead=lead).due_at == lead.sla_due_at == at("2026-03-06 17:50")
    time_machine.move_to(at("2026-03-09 09:05"), tick=False)  # Monday

    section = breaches_section(client, head)

    # 10 working minutes on Friday and 5 on Monday: not "2 days, 15 hours late".
    assert lead.full_name in section and "15\xa0minutes of working time late" in section
    # Nobody took it: the row says so under its column's heading, not a bare "pool".
    assert "<th>Owner</th>" in section and ">In the pool</td>" in section
    report = reports.build("speed", parse_filter({"period": "30d"}, head, now=at("2026-03-09 09:05")), head)
    assert [(row["lead"], row["late"]) for row in report.table("breaches").rows] == [(lead.full_name, 15)]


def test_a_lead_whose_first_task_closed_without_a_contact_stays_a_breach(client, time_machine, head, alice,
                                                                          make_lead):
    """"No answer" closes the first task with a call for tomorrow, but nobody has talked to the person yet: the lead
    is past its first contact's deadline, as the speed report counts it."""
    time_machine.move_to(at("2026-03-10 10:00"), tick=False)
    lead = make_lead(first_name="Unanswered", owner=alice)
    task = Task.objects.get(lead=lead)
    services.complete_task(task=task, result="No answer", by=alice, next_title="Call again",
                           next_due_at=at("2026-03-11 10:00"))
    time_machine.move_to(at("2026-03-10 11:00"), tick=False)

    section = breaches_section(client, head)

    assert lead.full_name in section
    services.log_activity(lead=lead, kind="call", by=alice, subject="Talked")
    assert lead.full_name not in breaches_section(client, head)
