"""Real submissions as website builders and form plugins send them, round eight.

A site built on Tilda, WordPress (Contact Form 7), Marquiz, Bitrix24 or amoCRM forms calls Leadflow's submission
address with the names it chose ("Name", "Phone", "your-tel", "fields[email]", a nested "contacts" object), posted
as a form (not JSON), sometimes in windows-1251, with its UTM tags in a COOKIES string and a test ping when the
webhook is set up. Each is posted to /api/submissions as the builder posts it.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from django.test import Client as HttpClient
from django.test import override_settings
from django.test.client import MULTIPART_CONTENT

from leadflow.intake.models import Form, Submission
from leadflow.intake.tests.realdata import post as json_post
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db


def form_post(body: str | bytes, *, query: str = "", headers: dict | None = None,
              content_type: str = "application/x-www-form-urlencoded") -> tuple[int, dict]:
    response = HttpClient().post(f"/api/submissions{query}", body, content_type=content_type, headers=headers or {})
    return response.status_code, response.json()


def test_a_tilda_webhook_with_the_form_key_in_its_address_is_a_lead(web_form: Form):
    body = urlencode({"Name": "Иванов Иван", "Phone": "+7 (912) 345-67-89", "Email": "Ivan@Mail.ru",
                      "Textarea": "Нужна консультация", "formid": "form123456", "tranid": "4567890:1234567",
                      "COOKIES": "_ym_uid=1690000000123; TILDAUTM=" + quote(
                          "utm_source=yandex|||utm_medium=cpc|||utm_campaign=spring_sale")})

    status, answer = form_post(body, query=f"?form_key={web_form.public_key}")

    assert status == 200, answer
    lead = Lead.objects.get()
    assert (lead.last_name, lead.first_name, lead.phone, lead.email) == ("Иванов", "Иван", "+79123456789",
                                                                         "ivan@mail.ru")
    submission = Submission.objects.get()
    assert submission.payload["Phone"] == "+7 (912) 345-67-89"  # the journal keeps what was sent
    request = lead.requests.get()
    assert request.message == "Нужна консультация"
    assert (request.utm_source, request.utm_medium, request.utm_campaign) == ("yandex", "cpc", "spring_sale")


def test_tildas_retry_of_one_submission_is_that_submission_again(web_form: Form):
    body = urlencode({"Name": "Иванов Иван", "Phone": "89123456789", "tranid": "4567890:1234567"})

    first, _ = form_post(body, query=f"?form_key={web_form.public_key}")
    again, _ = form_post(body, query=f"?form_key={web_form.public_key}")

    assert (first, again) == (200, 200)
    assert Submission.objects.count() == 1
    assert Lead.objects.get().requests.count() == 1


def test_the_webhooks_test_ping_is_answered_and_journals_nothing(web_form: Form):
    status, answer = form_post("test=test", query=f"?form_key={web_form.public_key}")

    assert (status, answer) == (200, {"status": "ok"})
    assert not Submission.objects.exists()


@pytest.mark.parametrize(("fields", "phone", "email", "name"), [
    # Contact Form 7 (WordPress)
    ({"your-name": "Пётр Сидоров", "your-tel": "8 903 123-45-67", "your-email": "petr@yandex.ru",
      "your-message": "Перезвоните", "_wpcf7": "15"}, "+79031234567", "petr@yandex.ru", ("Сидоров", "Пётр")),
    # Bitrix24 / amoCRM site forms: PHP arrays
    ({"fields[name]": "Анна Смирнова", "fields[phone_1]": "+7 916 000-11-22", "fields[email]": "ANNA@GMAIL.COM"},
     "+79160001122", "anna@gmail.com", ("Смирнова", "Анна")),
    # a form with Russian field names
    ({"ФИО": "Кузнецов Олег Петрович", "Телефон": "8 (495) 123-45-67 доб. 12", "Почта": "oleg@firma.ru"},
     "+74951234567", "oleg@firma.ru", ("Кузнецов", "Олег")),
])
def test_a_plugins_field_names_are_read_as_the_fields_they_mean(partner, fields, phone, email, name):
    status, answer = form_post(urlencode(fields), headers={"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.phone, lead.email, (lead.last_name, lead.first_name)) == (phone, email, name)


def test_a_form_posted_in_windows_1251_reads_its_cyrillic(partner):
    body = "name={}&phone={}".format(quote("Иван Петров".encode("cp1251")), quote("89123456789"))

    status, answer = form_post(body, headers={"X-Api-Key": partner[1]})

    assert status == 201, answer
    assert (Lead.objects.get().first_name, Lead.objects.get().last_name) == ("Иван", "Петров")


def test_a_multipart_webhook_is_read_as_a_form(partner):
    status, answer = form_post({"Name": "Ivan Petrov", "Phone": "+79123456789"}, headers={"X-Api-Key": partner[1]},
                               content_type=MULTIPART_CONTENT)

    assert status == 201, answer
    assert Lead.objects.get().phone == "+79123456789"


def test_a_marquiz_quiz_with_its_contacts_and_tags_nested(partner):
    body = {"answers": [{"q": "Какой бюджет?", "a": "до 100 000"}],
            "contacts": {"name": "Ольга Иванова", "phone": "+7 921 555-44-33", "email": "olga@mail.ru"},
            "extra": {"href": "https://quiz.example.ru/?utm_source=vk", "referrer": "https://vk.com/",
                      "utm": {"source": "vk", "medium": "social", "campaign": "quiz_may"}}}

    status, answer = json_post(body, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.phone, lead.email) == ("Ольга", "Иванова", "+79215554433",
                                                                         "olga@mail.ru")
    request = lead.requests.get()
    assert (request.utm_source, request.utm_medium, request.utm_campaign) == ("vk", "social", "quiz_may")
    assert (request.referrer, request.landing_page) == ("https://vk.com/", "https://quiz.example.ru/?utm_source=vk")


def test_a_forms_list_of_named_values_is_read(partner):
    body = {"fields": [{"name": "NAME", "value": "Олег Сидоров"}, {"name": "PHONE", "value": "89031112233"}]}

    status, answer = json_post(body, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    assert (Lead.objects.get().phone, Lead.objects.get().first_name) == ("+79031112233", "Олег")


def test_two_numbered_phone_fields_are_both_the_persons(partner):
    status, answer = json_post({"Name": "Иван Петров", "Phone_1": "89123456789", "Phone_2": "89031234567"},
                               {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert lead.phone == "+79123456789"
    assert "+79031234567" in lead.requests.get().facts["other_phones"][0].replace(" ", "")


def test_leadflows_own_field_wins_over_another_name(partner):
    status, answer = json_post({"name": "Иван Петров", "phone": "89123456789", "Phone": "89031234567"},
                               {"X-Api-Key": partner[1]})

    assert status == 201, answer
    assert Lead.objects.get().phone == "+79123456789"


@pytest.mark.parametrize(("click", "source"), [({"yclid": "1234567890"}, "yandex"), ({"gclid": "Cj0KCQ"}, "google")])
def test_an_ad_click_id_without_tags_is_the_networks_paid_click(web_form: Form, click, source):
    status, answer = json_post({"name": "Иван Петров", "phone": "89123456789", **click},
                               {"X-Form-Key": web_form.public_key})

    assert status == 200, answer
    request = Lead.objects.get().requests.get()
    assert (request.utm_source, request.utm_medium) == (source, "cpc")


def test_a_partners_click_id_is_its_own_advertising_not_the_companys(partner):
    status, answer = json_post({"name": "Иван Петров", "phone": "89123456789", "gclid": "Cj0KCQ"},
                               {"X-Api-Key": partner[1]})

    assert status == 201, answer
    request = Lead.objects.get().requests.get()
    assert (request.utm_source, request.utm_medium) == ("", "")


def test_a_click_id_does_not_override_the_tags_the_page_kept(web_form: Form):
    status, answer = json_post({"name": "Иван Петров", "phone": "89123456789", "yclid": "123",
                                "utm_source": "newsletter"}, {"X-Form-Key": web_form.public_key})

    assert status == 200, answer
    request = Lead.objects.get().requests.get()
    assert (request.utm_source, request.utm_medium) == ("newsletter", "")


def test_a_path_in_a_page_field_is_no_landing_page_and_no_refusal(partner):
    status, answer = json_post({"name": "Иван Петров", "phone": "89123456789", "page": "/contacts"},
                               {"X-Api-Key": partner[1]})

    assert status == 201, answer
    assert Lead.objects.get().requests.get().landing_page == ""


def test_a_form_body_that_does_not_read_is_a_400_naming_it(partner):
    status, answer = form_post("a=" + "&b=1" * 600, headers={"X-Api-Key": partner[1]})

    assert status == 400
    assert answer["error"]["code"] == "bad_form"
    assert not Submission.objects.exists()


def test_the_first_visits_tags_are_not_read_as_this_visits(partner):
    status, answer = json_post({"name": "Иван Петров", "phone": "89123456789", "utm_source": "newsletter",
                                "first_touch": {"utm_source": "google", "utm_medium": "cpc"}},
                               {"X-Api-Key": partner[1]})

    assert status == 201, answer
    request = Lead.objects.get().requests.get()
    assert (request.utm_source, request.utm_medium) == ("newsletter", "")


def test_a_broken_multipart_body_is_a_400_naming_it(partner):
    status, answer = form_post(b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--",
                               headers={"X-Api-Key": partner[1]}, content_type="multipart/form-data")

    assert status == 400
    assert answer["error"]["code"] == "bad_form"
    assert not Submission.objects.exists()


@override_settings(LEADFLOW_FORM_RATE_PER_IP=2, LEADFLOW_FORM_RATE_PER_FORM=8)
def test_a_builders_server_with_the_forms_server_token_is_limited_per_form_not_per_address(web_form: Form):
    """Tilda posts every visitor's submission from its own few servers: counted per address like a visitor, a busy
    form lost its leads after the 20th in ten minutes (a 429 the builder does not send again)."""
    token = web_form.issue_server_token()
    with_token = f"?form_key={web_form.public_key}&server_token={token}"
    without = f"?form_key={web_form.public_key}"

    def send(n: int, query: str) -> int:
        return form_post(urlencode({"Name": f"Иван Петров {n}", "Phone": f"+7912345670{n}"}), query=query)[0]

    assert [send(n, with_token) for n in range(4)] == [200, 200, 200, 200]  # past the address's limit of 2
    assert [send(n, without) for n in range(4, 7)] == [200, 200, 429]  # without the token: the address's limit
    assert send(7, with_token) == 200  # the address is spent, the builder's server still gets through
    assert send(8, with_token) == 429  # the form's own limit (8 in the window) still holds
    assert Submission.objects.count() == 7


def test_a_wrong_server_token_is_refused_naming_it_and_nothing_is_journaled(web_form: Form):
    web_form.issue_server_token()
    status, answer = form_post(urlencode({"Name": "Иван", "Phone": "+79123456789"}),
                               query=f"?form_key={web_form.public_key}&server_token=lfs_guess")

    assert status == 401 and "server_token" in answer["error"]["fields"]
    assert Submission.objects.count() == 0


def test_the_admin_issues_the_webhook_address_once_and_a_new_one_replaces_it(web_form: Form, admin_client):
    response = admin_client.post("/admin/intake/form/", {"action": "issue_server_token",
                                                          "_selected_action": [web_form.pk]}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    address = next(m for m in shown if "server_token=" in m).split(": ", 1)[1]
    first_token = address.split("server_token=")[1]
    web_form.refresh_from_db()
    assert web_form.is_server_token(first_token) and first_token not in web_form.server_token_hash

    web_form.issue_server_token()
    assert not web_form.is_server_token(first_token)
