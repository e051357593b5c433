"""The life of a lead: stages, refusal, deferral, reopening, tasks, activities, conversion."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from leadflow.clients.models import Client, Company, Contact
from leadflow.events.models import OutboxEvent
from leadflow.leads import services
from leadflow.leads.models import Activity, FieldChange, Lead, LostReason, StageChange, Task

pytestmark = pytest.mark.django_db

VALID_INN, VALID_KPP, VALID_OGRN = "7707083893", "773601001", "1027700132195"


@pytest.fixture
def lead(make_lead, alice):
    return make_lead(owner=alice, company_name="Ромашка", legal_form="ООО")


def test_stage_change_is_recorded_with_time_and_author(api_as, alice, lead):
    response = api_as(alice).post(f"/api/leads/{lead.pk}/stage", {"stage": "contacted"},
                                  content_type="application/json")
    assert response.status_code == 200 and response.json()["stage"] == "contacted"
    history = list(StageChange.objects.filter(lead=lead).values_list("from_stage__code", "to_stage__code",
                                                                      "changed_by"))
    assert history == [(None, "new", None), ("new", "contacted", alice.pk)]
    assert FieldChange.objects.get(lead=lead).new_value == "contacted"


def test_unknown_stage_names_the_field(api_as, alice, lead):
    response = api_as(alice).post(f"/api/leads/{lead.pk}/stage", {"stage": "nope"}, content_type="application/json")
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["stage"]


def test_closing_stages_need_convert_or_refuse(api_as, alice, lead):
    response = api_as(alice).post(f"/api/leads/{lead.pk}/stage", {"stage": "won"}, content_type="application/json")
    assert response.status_code == 422
    assert Lead.objects.get(pk=lead.pk).stage.code == "new"


def test_qualify_moves_to_the_first_qualified_stage(api_as, alice, lead):
    response = api_as(alice).post(f"/api/leads/{lead.pk}/qualify")
    assert response.json()["stage"] == "qualified"
    assert OutboxEvent.objects.filter(name="lead.qualified").count() == 1


def test_refuse_keeps_the_lead_with_reason_and_closes_tasks(api_as, alice, lead):
    reason = LostReason.objects.get(name="Too expensive")
    response = api_as(alice).post(f"/api/leads/{lead.pk}/refuse", {"reason_id": reason.pk, "note": "budget cut"},
                                  content_type="application/json")
    assert response.status_code == 200
    lead.refresh_from_db()
    assert (lead.state, lead.stage.code, lead.lost_reason, lead.lost_note) == ("refused", "lost", reason, "budget cut")
    assert not Task.objects.open().filter(lead=lead).exists()
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_refuse_needs_a_known_reason(api_as, alice, lead):
    response = api_as(alice).post(f"/api/leads/{lead.pk}/refuse", {"reason_id": 99999},
                                  content_type="application/json")
    assert response.status_code == 422 and "reason_id" in response.json()["error"]["fields"]
    assert Lead.objects.get(pk=lead.pk).state == "open"


def test_defer_creates_a_task_on_that_date_and_the_lead_returns_then(api_as, alice, lead):
    until = timezone.localdate() + timedelta(days=30)
    response = api_as(alice).post(f"/api/leads/{lead.pk}/defer", {"until": until.isoformat(), "note": "after NY"},
                                  content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "deferred"
    follow_up = Task.objects.open().get(lead=lead)
    assert follow_up.kind == "follow_up" and follow_up.assignee == alice
    # that morning where the team works (the fixtures' team opens at 00:00): UTC's date is the day before
    assert follow_up.due_at == datetime.combine(until, time(0, 0), tzinfo=ZoneInfo(lead.team.time_zone))

    assert services.return_deferred(today=until - timedelta(days=1)) == 0
    assert services.return_deferred(today=until) == 1
    lead.refresh_from_db()
    assert lead.state == "open" and lead.deferred_until is None
    assert alice.notifications.filter(kind="lead.returned").count() == 1


def test_defer_to_the_past_is_refused(api_as, alice, lead):
    response = api_as(alice).post(f"/api/leads/{lead.pk}/defer", {"until": "2020-01-01"},
                                  content_type="application/json")
    assert response.status_code == 422 and list(response.json()["error"]["fields"]) == ["until"]


def test_defer_with_a_malformed_date_names_the_field(api_as, alice, lead):
    response = api_as(alice).post(f"/api/leads/{lead.pk}/defer", {"until": "next friday"},
                                  content_type="application/json")
    assert response.status_code == 422 and "until" in response.json()["error"]["fields"]


def test_reopen_a_refused_lead(api_as, alice, lead):
    services.refuse_lead(lead=lead, reason=LostReason.objects.first(), by=alice)
    response = api_as(alice).post(f"/api/leads/{lead.pk}/reopen")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["stage"]) == ("open", "new")


def test_complete_task_with_result_and_next_task(api_as, alice, lead):
    task = Task.objects.get(lead=lead)
    thursday = timezone.now() + timedelta(days=3)
    response = api_as(alice).post(
        f"/api/tasks/{task.pk}/complete",
        {"result": "Agreed to talk on Thursday", "next_title": "Call on Thursday", "next_due_at": thursday.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["completed"]["result"] == "Agreed to talk on Thursday"
    assert body["next"]["title"] == "Call on Thursday" and body["next"]["previous_id"] == task.pk
    assert Task.objects.open().get(lead=lead).due_at == thursday.replace(microsecond=thursday.microsecond)


def test_complete_task_needs_a_result(api_as, alice, lead):
    task = Task.objects.get(lead=lead)
    response = api_as(alice).post(f"/api/tasks/{task.pk}/complete", {"result": " "}, content_type="application/json")
    assert response.status_code == 422 and list(response.json()["error"]["fields"]) == ["result"]
    assert Task.objects.get(pk=task.pk).completed_at is None


def test_completing_twice_is_a_conflict(api_as, alice, lead):
    task = Task.objects.get(lead=lead)
    client = api_as(alice)
    assert client.post(f"/api/tasks/{task.pk}/complete", {"result": "done"},
                       content_type="application/json").status_code == 200
    again = client.post(f"/api/tasks/{task.pk}/complete", {"result": "done"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "task_done"


def test_first_call_logged_sets_speed_to_lead(api_as, alice, lead):
    client = api_as(alice)
    client.post(f"/api/leads/{lead.pk}/activities", {"kind": "note", "body": "looked them up"},
                content_type="application/json")
    assert Lead.objects.get(pk=lead.pk).first_contacted_at is None
    response = client.post(f"/api/leads/{lead.pk}/activities",
                           {"kind": "call", "subject": "First call", "duration_seconds": 95},
                           content_type="application/json")
    assert response.status_code == 201
    activity = Activity.objects.get(pk=response.json()["id"])
    assert Lead.objects.get(pk=lead.pk).first_contacted_at == activity.occurred_at


def test_unknown_activity_kind_is_refused(api_as, alice, lead):
    response = api_as(alice).post(f"/api/leads/{lead.pk}/activities", {"kind": "telepathy"},
                                  content_type="application/json")
    assert response.status_code == 422 and list(response.json()["error"]["fields"]) == ["kind"]


def test_convert_creates_client_contact_company_linked_both_ways(api_as, alice, lead):
    response = api_as(alice).post(
        f"/api/leads/{lead.pk}/convert",
        {"company": {"name": "Ромашка", "legal_form": "ООО", "inn": VALID_INN, "kpp": VALID_KPP, "ogrn": VALID_OGRN,
                     "legal_address": "Москва, ул. Вавилова, 19"}},
        content_type="application/json",
    )
    assert response.status_code == 201
    client = Client.objects.get(pk=response.json()["client_id"])
    lead.refresh_from_db()
    assert client.lead == lead and lead.client == client
    assert (lead.state, lead.stage.code) == ("converted", "won")
    assert client.owner == alice and client.contact.full_name == lead.full_name
    assert (client.company.inn, client.company.kpp, client.company.ogrn) == (VALID_INN, VALID_KPP, VALID_OGRN)
    card = api_as(alice).get(f"/api/leads/{lead.pk}").json()
    assert card["client_id"] == client.pk
    client_card = api_as(alice).get(f"/api/clients/{client.pk}").json()
    assert client_card["client"]["lead_id"] == lead.pk
    assert client_card["lead_activities"][0]["subject"] == "Converted into a client"


def test_convert_with_a_bad_inn_names_the_field_and_changes_nothing(api_as, alice, lead):
    response = api_as(alice).post(f"/api/leads/{lead.pk}/convert",
                                  {"company": {"name": "Ромашка", "inn": "7707083894"}},
                                  content_type="application/json")
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["company.inn"]  # as the caller nests it
    assert Lead.objects.get(pk=lead.pk).state == "open"
    assert (Client.objects.count(), Company.objects.count(), Contact.objects.count()) == (0, 0, 0)


def test_convert_reuses_the_company_with_the_same_inn(alice, make_lead):
    first = make_lead(owner=alice)
    second = make_lead(owner=alice)
    facts = services.CompanyFacts(name="Ромашка", inn=VALID_INN)
    a = services.convert_lead(lead=first, by=alice, company=facts)
    b = services.convert_lead(lead=second, by=alice, company=services.CompanyFacts(name="Romashka LLC",
                                                                                    inn=VALID_INN))
    assert a.company == b.company and Company.objects.count() == 1
    assert b.company.contacts.count() == 2


def test_head_converts_to_another_owner_who_is_notified(head, alice, bob, lead):
    client = services.convert_lead(lead=lead, by=head, owner=bob)
    assert client.owner == bob
    assert bob.notifications.filter(kind="client.assigned", client=client).count() == 1


def test_converting_twice_is_a_conflict(api_as, alice, lead):
    services.convert_lead(lead=lead, by=alice)
    response = api_as(alice).post(f"/api/leads/{lead.pk}/convert", {}, content_type="application/json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_converted"
    assert Client.objects.count() == 1


def test_head_assigns_and_reassigns_with_owner_history(api_as, head, alice, bob, make_lead):
    lead = make_lead()
    client = api_as(head)
    assert client.post(f"/api/leads/{lead.pk}/assign", {"owner_id": alice.pk},
                       content_type="application/json").json()["owner_id"] == alice.pk
    assert client.post(f"/api/leads/{lead.pk}/assign", {"owner_id": bob.pk},
                       content_type="application/json").json()["owner_id"] == bob.pk
    reasons = list(lead.owner_changes.values_list("reason", "to_owner__username"))
    assert reasons == [("assign", "alice"), ("reassign", "bob")]
    assert Task.objects.open().get(lead=lead).assignee == bob


def test_manager_cannot_assign(api_as, alice, bob, make_lead):
    lead = make_lead(owner=alice)
    response = api_as(alice).post(f"/api/leads/{lead.pk}/assign", {"owner_id": bob.pk},
                                  content_type="application/json")
    assert response.status_code == 403
    assert Lead.objects.get(pk=lead.pk).owner == alice


def test_head_cannot_assign_to_a_manager_of_another_team(api_as, head, carol, make_lead):
    lead = make_lead()
    response = api_as(head).post(f"/api/leads/{lead.pk}/assign", {"owner_id": carol.pk},
                                 content_type="application/json")
    assert response.status_code == 422 and list(response.json()["error"]["fields"]) == ["owner_id"]


def test_editing_key_fields_is_audited_and_the_new_phone_is_matched(api_as, alice, lead, partner):
    response = api_as(alice).patch(f"/api/leads/{lead.pk}", {"phone": "8 (903) 111-22-33", "temperature": "hot",
                                                              "company": "АО «Вектор»"},
                                   content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert (body["phone"], body["temperature"], body["company_name"], body["legal_form"]) == (
        "+79031112233", "hot", "Вектор", "АО")
    audit = {(c.field, c.new_value, c.changed_by_id) for c in FieldChange.objects.filter(lead=lead)}
    assert ("phone", "+79031112233", alice.pk) in audit and ("temperature", "hot", alice.pk) in audit
    from django.test import Client as HttpClient

    _, key = partner
    again = HttpClient().post("/api/submissions", {"name": lead.full_name, "phone": "+7 903 111 22 33"},
                              content_type="application/json", headers={"X-Api-Key": key})
    assert again.json()["lead_id"] == lead.pk and again.json()["status"] == "attached"


def test_editing_with_bad_values_names_each_field_and_changes_nothing(api_as, alice, lead):
    before = (lead.phone, lead.email)
    response = api_as(alice).patch(f"/api/leads/{lead.pk}", {"phone": "123", "email": "x@", "temperature": "boiling"},
                                   content_type="application/json")
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"phone", "email", "temperature"}
    lead.refresh_from_db()
    assert (lead.phone, lead.email) == before
    assert FieldChange.objects.filter(lead=lead).count() == 0


def test_a_lead_cannot_lose_its_last_contact(api_as, alice, make_lead):
    lead = make_lead(owner=alice, email="")
    response = api_as(alice).patch(f"/api/leads/{lead.pk}", {"phone": ""}, content_type="application/json")
    assert response.status_code == 422
    assert Lead.objects.get(pk=lead.pk).phone == lead.phone


def test_manager_promotes_a_switchboard_interest_with_the_persons_direct_contact(api_as, alice, partner, carol):
    from django.test import Client as HttpClient

    from leadflow.leads.models import Interest

    _, key = partner
    HttpClient().post("/api/submissions", {"name": "Мария", "company": "ООО «Ромашка»", "phone": "+7 495 123-45-67"},
                      content_type="application/json", headers={"X-Api-Key": key})
    interest = Interest.objects.get()
    listed = api_as(alice).get("/api/interests").json()
    assert [i["id"] for i in listed] == [interest.pk]
    assert api_as(carol).post(f"/api/interests/{interest.pk}/promote", {"name": "Мария Ивановна Петрова"},
                              content_type="application/json").status_code == 404
    missing = api_as(alice).post(f"/api/interests/{interest.pk}/promote", {"name": "Мария Петрова", "phone": "12"},
                                 content_type="application/json")
    assert missing.status_code == 422 and list(missing.json()["error"]["fields"]) == ["phone"]
    response = api_as(alice).post(f"/api/interests/{interest.pk}/promote",
                                  {"name": "Петрова Мария Ивановна", "email": "m.petrova@romashka.ru"},
                                  content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert (body["last_name"], body["first_name"], body["company_name"], body["email"]) == (
        "Петрова", "Мария", "Ромашка", "m.petrova@romashka.ru")
    assert Interest.objects.get().promoted_to_id == body["id"]
    again = api_as(alice).post(f"/api/interests/{interest.pk}/promote", {"name": "X Y", "email": "x@y.ru"},
                               content_type="application/json")
    assert again.status_code == 409


def test_stage_reach_follows_every_stage_change_and_a_reconfiguration(alice, lead):
    """The funnel counts leads by the furthest stage and by "ever qualified": the card keeps both, in step
    with the history, through steps forward and back, a refusal, and a change of the stages themselves."""
    from leadflow.events.services import deliver_pending
    from leadflow.leads.models import REACH_QUALIFIED, Stage

    def reach() -> int:
        lead.refresh_from_db()
        return lead.stage_reach

    assert reach() == 10  # New, position 10, not qualified
    services.change_stage(lead=lead, stage=Stage.objects.get(code="proposal"), by=alice)
    assert reach() == REACH_QUALIFIED + 40
    services.change_stage(lead=lead, stage=Stage.objects.get(code="contacted"), by=alice)
    assert reach() == REACH_QUALIFIED + 40  # stepping back does not undo what was reached
    services.refuse_lead(lead=lead, reason=LostReason.objects.first(), by=alice)
    assert reach() == REACH_QUALIFIED + 40  # the lost stage is not progress
    proposal = Stage.objects.get(code="proposal")
    proposal.is_qualified, proposal.position = False, 45
    proposal.save()
    Stage.objects.filter(code="qualified").update(is_qualified=False)  # not through save(): no event of its own
    deliver_pending()
    assert reach() == 45
    assert services.refresh_stage_reach([lead.pk]) == 1 and reach() == 45


def test_a_merge_gives_the_survivor_the_reach_of_the_history_it_took_over(alice, head, make_lead):
    from leadflow.leads.merging import merge_leads, undo_merge
    from leadflow.leads.models import REACH_QUALIFIED, Stage

    survivor, other = make_lead(owner=alice), make_lead(owner=alice)
    services.change_stage(lead=other, stage=Stage.objects.get(code="negotiation"), by=alice)
    merge = merge_leads(survivor=survivor, others=[other], by=head)
    survivor.refresh_from_db()
    assert survivor.stage_reach == REACH_QUALIFIED + 50
    undo_merge(merge=merge, by=head)
    survivor.refresh_from_db()
    other.refresh_from_db()
    assert (survivor.stage_reach, other.stage_reach) == (10, REACH_QUALIFIED + 50)


def test_the_card_keeps_the_deadline_of_its_first_task(alice, make_lead):
    from leadflow.leads.models import Task

    lead = make_lead()
    first = Task.objects.filter(lead=lead).order_by("pk").first()
    assert lead.sla_due_at is not None and lead.sla_due_at == first.due_at
    lead.refresh_from_db()
    assert lead.sla_due_at == first.due_at
    services.claim_lead(lead=lead, by=alice)
    services.complete_task(task=first, result="called", by=alice, next_title="Call again",
                           next_due_at=timezone.now() + timedelta(days=2))
    lead.refresh_from_db()
    assert lead.sla_due_at == first.due_at  # later tasks do not move the speed-to-lead deadline
