"""A partner's submission is answered accepted, duplicate or invalid (with reasons) under its terms."""

from datetime import timedelta

import pytest
from django.test import Client as HttpClient

from leadflow.intake.models import Partner, Submission
from leadflow.leads import services
from leadflow.leads.models import Lead
from leadflow.partners.tests.conftest import submit

pytestmark = pytest.mark.django_db


def terms(partner: Partner, **values) -> None:
    Partner.objects.filter(pk=partner.pk).update(**values)


def test_new_person_is_accepted_and_keeps_the_partners_click_id(partner):
    _, key = partner
    response = submit(key, {"name": "Иван Петров", "phone": "+79123456789", "click_id": "cl-77"})
    assert response.status_code == 201
    assert response.json()["decision"] == "accepted"
    submission = Submission.objects.get()
    assert submission.payload["click_id"] == "cl-77" and submission.lead == Lead.objects.get()


def test_a_person_who_is_already_a_client_is_a_duplicate_and_creates_nothing(partner, head, make_lead):
    _, key = partner
    client = services.convert_lead(lead=make_lead(phone="+79123456789"), by=head)
    response = submit(key, {"name": "Иван Петров", "phone": "8 912 345 67 89"})
    assert response.status_code == 200
    assert response.json()["decision"] == "duplicate" and response.json()["client_id"] == client.pk
    assert Lead.objects.count() == 1


def test_missing_required_fields_are_invalid_field_by_field_and_stay_journaled(partner):
    row, key = partner
    terms(row, required_fields=["email", "city", "consent", "click_id"])
    response = submit(key, {"name": "Иван Петров", "phone": "+79123456789", "consent": False})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert sorted(fields) == ["city", "click_id", "consent", "email"]
    assert fields["email"] == ["Required by the partner's terms."]
    submission = Submission.objects.get()
    assert submission.status == "invalid" and submission.payload["name"] == "Иван Петров"
    assert Lead.objects.count() == 0
    status = HttpClient().get(f"/api/submissions/{submission.pk}", headers={"X-Api-Key": key}).json()
    assert status["decision"] == "invalid" and sorted(status["errors"]["fields"]) == sorted(fields)


def test_required_fields_met_are_accepted(partner):
    row, key = partner
    terms(row, required_fields=["email", "city", "consent", "click_id"])
    response = submit(key, {"name": "Иван Петров", "phone": "+79123456789", "email": "ivan@example.ru",
                            "city": "Тверь", "consent": True, "sub_id": 123})
    assert response.status_code == 201


def test_only_accepted_regions_and_products(partner):
    row, key = partner
    terms(row, allowed_regions="Москва, Санкт-Петербург\nТверь", allowed_products="Окна; Двери")
    far = submit(key, {"name": "Иван Петров", "phone": "+79123456789", "city": "Омск", "product_interest": "Крыши"})
    assert far.status_code == 422
    fields = far.json()["error"]["fields"]
    assert fields["city"] == ["Leads from Омск are not accepted; only from Москва, Санкт-Петербург, Тверь."]
    assert fields["product_interest"] == ["Only these products are accepted: Окна, Двери."]
    near = submit(key, {"name": "Анна Смирнова", "phone": "+79123450000", "city": " санкт-петербург ",
                        "product_interest": "окна"})
    assert near.status_code == 201
    assert Lead.objects.get().city == "санкт-петербург"


def test_beyond_the_daily_cap_new_leads_are_invalid_but_duplicates_still_duplicates(partner):
    row, key = partner
    terms(row, daily_cap=1)
    assert submit(key, {"name": "Иван Петров", "phone": "+79123456789"}).status_code == 201
    over = submit(key, {"name": "Анна Смирнова", "phone": "+79123450000"})
    assert over.status_code == 422
    assert over.json()["error"]["fields"] == {
        "__all__": ["The daily cap of 1 accepted leads is reached; try again tomorrow."]}
    again = submit(key, {"name": "Иван Петров", "phone": "+7 912 345-67-89"})
    assert again.json()["decision"] == "duplicate"
    # The next day the cap starts over; the rejected submission can be replayed then.
    Submission.objects.filter(status="created").update(received_at=Submission.objects.get(status="created")
                                                       .received_at - timedelta(days=1))
    from leadflow.intake.pipeline import process

    replayed = process(Submission.objects.get(status="invalid"))
    assert replayed.status == "created" and Lead.objects.count() == 2


def test_a_click_id_that_is_not_text_is_invalid(partner):
    _, key = partner
    response = submit(key, {"name": "Иван Петров", "phone": "+79123456789", "click_id": {"x": 1}})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"click_id": ["Must be text."]}


def test_a_partners_terms_do_not_apply_to_web_forms(partner, web_form):
    row, _ = partner
    terms(row, required_fields=["email"], daily_cap=0)
    response = HttpClient().post("/api/submissions", data={"name": "Иван Петров", "phone": "+79123456789"},
                                 content_type="application/json", headers={"X-Form-Key": web_form.public_key})
    assert response.status_code == 200 and Lead.objects.count() == 1


def test_an_accepted_region_written_another_way_is_accepted(partner):
    row, key = partner
    terms(row, allowed_regions="Москва, Санкт-Петербург")
    for number, city in enumerate(("г. Москва", "Moscow", "СПб", "Питер")):
        response = submit(key, {"name": "Иван Петров", "phone": f"+7912345000{number}", "city": city})
        assert response.status_code == 201, response.content
    assert list(Lead.objects.order_by("pk").values_list("city", flat=True)) == ["г. Москва", "Moscow", "СПб", "Питер"]
    assert submit(key, {"name": "Олег Сидоров", "phone": "+79123459999", "city": "Московская область"}).status_code \
        == 422
