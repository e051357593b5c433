"""Submitting leads over the API: the road every channel takes."""

import json

import pytest
from django.core import mail
from django.test import Client as HttpClient

from leadflow.events.models import OutboxEvent
from leadflow.events.services import deliver_pending
from leadflow.intake.models import Submission
from leadflow.leads.models import Interest, Lead, Notification, Request, Task

pytestmark = pytest.mark.django_db


def post(client: HttpClient, body: object, **headers: str):
    return client.post("/api/submissions", data=json.dumps(body), content_type="application/json",
                       headers=headers)


def submit_as_partner(key: str, body: dict, **headers: str):
    return post(HttpClient(), body, **{"X-Api-Key": key, **headers})


def test_form_lead_is_created_routed_to_pool_with_first_task(web_form):
    response = post(HttpClient(), {"name": "Иванов Иван Иванович", "phone": "8 (912) 345-67-89",
                                   "email": "Ivan@Example.RU ", "consent": True, "utm_source": "google",
                                   "utm_campaign": "spring"}, **{"X-Form-Key": web_form.public_key})
    assert response.status_code == 200
    assert response.json()["status"] == "received"  # a public key learns nothing else
    lead = Lead.objects.get()
    assert (lead.last_name, lead.first_name, lead.middle_name) == ("Иванов", "Иван", "Иванович")
    assert lead.phone == "+79123456789"
    assert lead.email == "ivan@example.ru"
    assert lead.channel == "form" and lead.utm_source == "google" and lead.utm_campaign == "spring"
    assert lead.consent_given and lead.consent_text_version == "v1" and lead.consent_channel == "form:contact"
    assert lead.owner is None and lead.team == web_form.team
    task = Task.objects.get(lead=lead)
    assert task.kind == "call" and task.assignee is None
    assert 0 < (task.due_at - lead.created_at).total_seconds() <= 15 * 60 + 1
    assert list(OutboxEvent.objects.values_list("name", flat=True)) == ["lead.created", "lead.pooled"]
    assert Submission.objects.get().status == "created"


def test_same_person_with_phone_written_another_way_attaches_and_notifies_owner(partner, alice):
    _, key = partner
    first = submit_as_partner(key, {"name": "Иван Петров", "phone": "+79123456789"})
    assert first.status_code == 201 and first.json()["decision"] == "accepted"
    lead = Lead.objects.get()
    Lead.objects.filter(pk=lead.pk).update(owner=alice)

    second = submit_as_partner(key, {"name": "Иван Петров", "phone": "8 (912) 345-67-89", "message": "Перезвоните"})

    assert second.status_code == 200
    assert second.json() == {"submission_id": second.json()["submission_id"], "status": "attached",
                             "decision": "duplicate", "lead_id": lead.pk, "client_id": None, "reason": ""}
    assert Lead.objects.count() == 1
    assert Request.objects.filter(lead=lead).count() == 2
    matched = Request.objects.exclude(matched_by="").get(lead=lead).matched_by
    assert "phone equal" in matched and "name" in matched
    note = Notification.objects.get(user=alice)
    assert note.kind == "request.attached" and note.lead == lead
    deliver_pending()
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_invalid_fields_are_named_and_the_submission_stays_journaled(partner):
    _, key = partner
    response = submit_as_partner(key, {"name": "Anna", "phone": "12", "email": "anna@", "deal_type": "barter"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert set(body["error"]["fields"]) == {"phone", "email", "deal_type"}
    submission = Submission.objects.get(pk=body["submission_id"])
    assert submission.status == "invalid" and submission.payload["phone"] == "12"
    assert Lead.objects.count() == 0


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"null"])
def test_malformed_bodies_get_a_clear_error_not_a_500(partner, body):
    _, key = partner
    response = HttpClient().post("/api/submissions", data=body, content_type="application/json",
                                 headers={"X-Api-Key": key})
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] in ("bad_json", "validation_error")


@pytest.mark.parametrize("value", [{"a": 1}, [[1]], [{"a": 1}], True])  # (a list of text is its values, round 7)
def test_wrong_types_name_the_field(partner, value):
    _, key = partner
    response = submit_as_partner(key, {"name": value, "phone": "+79123456789"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"name": ["Must be text."]}


def test_idempotency_key_returns_the_first_result(partner):
    _, key = partner
    body = {"name": "John Smith", "email": "john@smith.co.uk"}
    first = submit_as_partner(key, body, **{"Idempotency-Key": "abc-1"})
    again = submit_as_partner(key, body, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1 and Submission.objects.count() == 1


def test_switchboard_number_of_a_company_is_an_interest(partner):
    _, key = partner
    response = submit_as_partner(key, {"name": "Мария", "company": "ООО «Ромашка»", "phone": "+7 495 123-45-67"})
    assert response.status_code == 202
    assert response.json()["status"] == "interest"
    interest = Interest.objects.get()
    assert interest.company_name == "Ромашка" and "switchboard" in interest.reason
    assert Lead.objects.count() == 0


def test_office_line_with_extension_is_a_lead(partner):
    _, key = partner
    response = submit_as_partner(key, {"name": "Мария Сидорова", "company": "ООО «Ромашка»",
                                       "phone": "+7 495 123-45-67 доб. 12"})
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert (lead.phone, lead.phone_ext, lead.legal_form) == ("+74951234567", "12", "ООО")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"message": "Сколько стоит?", "phone": "+79123456789"}, "no person's name"),
        ({"name": "Аноним", "phone": "+79123456789"}, "no person's name"),
        ({"name": "Ivan Petrov", "email": "info@romashka.ru"}, "only a role mailbox, not a person's address"),
        ({"name": "Ivan Petrov", "message": "call me"}, "no usable contact"),
    ],
)
def test_not_a_lead_becomes_an_interest_with_the_reason(partner, body, reason):
    _, key = partner
    response = submit_as_partner(key, body)
    assert response.json()["status"] == "interest"
    assert Interest.objects.get().reason == reason


def test_honeypot_is_spam_and_never_a_lead(web_form):
    response = post(HttpClient(), {"name": "Bot", "phone": "+79123456789", "_hp": "http://spam"},
                    **{"X-Form-Key": web_form.public_key})
    assert response.status_code == 200
    assert Submission.objects.get().status == "spam"
    assert Lead.objects.count() == 0 and Interest.objects.count() == 0


def test_unknown_key_is_refused_and_not_journaled(db):
    response = post(HttpClient(), {"name": "X"}, **{"X-Api-Key": "lfp_wrong"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert Submission.objects.count() == 0


def test_existing_client_contact_gets_the_request_not_a_new_lead(partner, alice, make_lead):
    from leadflow.leads import services

    lead = make_lead(owner=alice, first_name="Ivan", last_name="Petrov", phone="+79161112233", email="buyer@corp.ru")
    client = services.convert_lead(lead=lead, by=alice)
    _, key = partner
    response = submit_as_partner(key, {"name": "Иван Петров", "email": "BUYER@corp.ru"})
    assert response.json()["status"] == "attached" and response.json()["client_id"] == client.pk
    assert Lead.objects.count() == 1
    assert Request.objects.filter(client=client).count() == 1


def test_an_unsure_match_is_a_new_lead_flagged_as_possible_duplicate(partner, alice, make_lead):
    first = make_lead(owner=alice, first_name="Ivan", last_name="Petrov", email="buyer@corp.ru")
    _, key = partner
    response = submit_as_partner(key, {"name": "Someone", "email": "buyer@corp.ru"})
    assert response.json()["status"] == "created"
    lead = Lead.objects.get(pk=response.json()["lead_id"])
    assert lead.is_possible_duplicate and not Lead.objects.get(pk=first.pk).is_possible_duplicate


def test_a_relative_sharing_the_family_mailbox_is_another_person(partner, alice, make_lead):
    make_lead(owner=alice, first_name="Ivan", last_name="Petrov", email="family@mail.ru")
    _, key = partner
    response = submit_as_partner(key, {"name": "Мария Петрова", "email": "family@mail.ru"})
    assert response.json()["status"] == "created"
    assert not Lead.objects.get(pk=response.json()["lead_id"]).is_possible_duplicate


def test_a_namesake_with_other_contacts_is_a_new_lead(partner, make_lead):
    make_lead(first_name="Иван", last_name="Петров", phone="+79161112233", email="ivan@one.ru")
    _, key = partner
    response = submit_as_partner(key, {"name": "Петров Иван", "phone": "+79035550000", "email": "petrov@two.ru"})
    assert response.json()["status"] == "created"
    assert Lead.objects.count() == 2


def test_partner_reads_only_its_own_submission_status(partner, sales):
    from leadflow.intake.models import Partner

    _, key = partner
    sub_id = submit_as_partner(key, {"name": "Ivan Petrov", "phone": "+79123456789"}).json()["submission_id"]
    mine = HttpClient().get(f"/api/submissions/{sub_id}", headers={"X-Api-Key": key})
    assert mine.status_code == 200 and mine.json()["decision"] == "accepted"
    other_key = Partner.objects.create(name="Other").issue_key()
    theirs = HttpClient().get(f"/api/submissions/{sub_id}", headers={"X-Api-Key": other_key})
    assert theirs.status_code == 404


def test_an_interest_is_promoted_when_the_person_arrives_with_a_name(partner):
    _, key = partner
    submit_as_partner(key, {"message": "Сколько стоит доставка?", "phone": "+79123456789"})
    interest = Interest.objects.get()
    response = submit_as_partner(key, {"name": "Олег Смирнов", "phone": "8 912 345 67 89"})
    assert response.json()["status"] == "created"
    interest.refresh_from_db()
    lead = Lead.objects.get()
    assert interest.promoted_to == lead
    assert Request.objects.filter(lead=lead).count() == 2  # the interest's request joins the lead's history


def test_a_sender_cannot_choose_its_team_in_the_payload(sales, other_team):
    """Only Leadflow's own e-mail adapter names a team (the mailbox's); a partner's "team_id" is just data."""
    from leadflow.intake.models import Partner

    key = Partner.objects.create(name="Teamless CPA").issue_key()
    response = HttpClient().post("/api/submissions", data={"name": "Пётр Сидоров", "phone": "+79161112233",
                                                           "consent": True, "team_id": other_team.pk},
                                 content_type="application/json", headers={"X-Api-Key": key})
    assert response.status_code == 201, response.content
    assert Lead.objects.get(pk=response.json()["lead_id"]).team == sales  # the default team
