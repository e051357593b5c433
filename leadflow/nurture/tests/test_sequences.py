"""Sequences: enrollment rules, stops (reply, purchase, conversion, manual), claiming, and every ready-made one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.inbox.services import take_email
from leadflow.leads import services as leads
from leadflow.leads.models import LostReason, Task, TaskKind
from leadflow.nurture import services
from leadflow.nurture.models import (
    Enrollment,
    EnrollmentState,
    MailMessage,
    MailTemplate,
    MessageStatus,
    Sequence,
    Step,
    SurveyAnswer,
)
from leadflow.nurture.tests.conftest import later, tick
from leadflow.warming.services import record_behaviour

pytestmark = pytest.mark.django_db


@pytest.fixture
def news(db: None) -> Sequence:
    MailTemplate.objects.create(name="N1", language="en", subject="First", html_body="<p>One {{ name }}</p>")
    MailTemplate.objects.create(name="N2", language="en", subject="Second", html_body="<p>Two</p>")
    sequence = Sequence.objects.create(name="News", trigger="behaviour", event_kind="add_to_cart", is_active=True)
    Step.objects.create(sequence=sequence, position=1, kind="send", template_name="N1")
    Step.objects.create(sequence=sequence, position=2, kind="wait", wait_minutes=60)
    Step.objects.create(sequence=sequence, position=3, kind="send", template_name="N2")
    return sequence


def subjects(server) -> list[str]:  # type: ignore[no-untyped-def]
    return [item.message["Subject"] for item in server.received]


def test_an_event_enrolls_once_and_the_steps_run_with_their_waits(smtp_server, news, make_lead, consenting):
    lead = consenting(make_lead())
    record_behaviour("add_to_cart", lead=lead)
    record_behaviour("add_to_cart", lead=lead)  # a second trigger while running: still one enrollment

    tick()
    assert Enrollment.objects.filter(lead=lead).count() == 1
    assert subjects(smtp_server) == ["First"]
    tick(later(minutes=30))
    assert subjects(smtp_server) == ["First"]
    tick(later(minutes=61))
    assert subjects(smtp_server) == ["First", "Second"]
    enrollment = Enrollment.objects.get()
    assert enrollment.state == EnrollmentState.FINISHED
    # Re-entry "once": a later event does not start it again.
    record_behaviour("add_to_cart", lead=lead)
    tick()
    assert Enrollment.objects.count() == 1


def test_an_inactive_sequence_enrolls_nobody(news, make_lead):
    Sequence.objects.filter(pk=news.pk).update(is_active=False)
    record_behaviour("add_to_cart", lead=make_lead())
    tick()
    assert Enrollment.objects.count() == 0


def test_a_claimed_enrollment_is_not_run_by_a_second_worker(news, make_lead):
    enrollment = services.enroll(sequence=news, lead=make_lead())
    Enrollment.objects.filter(pk=enrollment.pk).update(claimed_until=later(minutes=5))  # another worker has it

    assert services.run_due() == 0
    assert MailMessage.objects.count() == 0


def reply_from(name: str, address: str) -> bytes:
    return (f"From: {name} <{address}>\r\nTo: sales@shop.example\r\nSubject: Re: First\r\n"
            f"Message-ID: <reply-{address}>\r\n\r\nThanks, call me tomorrow please.\r\n").encode()


def test_a_reply_by_email_stops_the_sequence(smtp_server, news, make_lead, consenting):
    lead = consenting(make_lead(first_name="Anna", last_name="Smirnova", email="anna@client.example"))
    record_behaviour("add_to_cart", lead=lead)
    tick()

    # The one road in: the reply is attached to her card.
    take_email(raw=reply_from("Anna Smirnova", "anna@client.example"), via="smtp")
    tick(later(minutes=61))

    assert lead.requests.filter(channel="email").count() == 1
    enrollment = Enrollment.objects.get()
    assert (enrollment.state, enrollment.stop_reason) == (EnrollmentState.STOPPED, "reply")
    assert subjects(smtp_server) == ["First"]


def test_a_purchase_stops_the_sequence(smtp_server, news, make_lead, consenting):
    lead = consenting(make_lead())
    record_behaviour("add_to_cart", lead=lead)
    tick()
    record_behaviour("purchase", lead=lead)
    tick(later(minutes=61))

    enrollment = Enrollment.objects.get()
    assert (enrollment.state, enrollment.stop_reason) == (EnrollmentState.STOPPED, "purchase")
    assert subjects(smtp_server) == ["First"]


def test_converting_the_lead_stops_its_lead_sequences(news, make_lead, alice):
    lead = make_lead(owner=alice)
    record_behaviour("add_to_cart", lead=lead)
    tick()
    leads.convert_lead(lead=lead, by=alice)
    tick()
    enrollment = Enrollment.objects.get(lead=lead)
    assert (enrollment.state, enrollment.stop_reason) == (EnrollmentState.STOPPED, "converted")


def test_the_owner_stops_it_from_the_card_and_bob_gets_404(news, make_lead, alice, bob):
    lead = make_lead(owner=alice)
    enrollment = services.enroll(sequence=news, lead=lead)
    url = f"/marketing/enrollments/{enrollment.pk}/stop/"

    as_bob = HttpClient()
    as_bob.force_login(bob)
    assert as_bob.post(url, {"next": "/"}).status_code == 404
    assert as_bob.get(f"/marketing/cards/lead/{lead.pk}/").status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.ACTIVE

    as_alice = HttpClient()
    as_alice.force_login(alice)
    panel = as_alice.get(f"/marketing/cards/lead/{lead.pk}/")
    assert panel.status_code == 200 and "News" in panel.content.decode()
    response = as_alice.post(url, {"next": f"/leads/{lead.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.stop_reason, enrollment.stopped_by) == (
        EnrollmentState.STOPPED, "manual", alice)


def test_the_admin_action_stops_enrollments(news, make_lead, admin_user):
    enrollment = services.enroll(sequence=news, lead=make_lead())
    client = HttpClient()
    client.force_login(admin_user)
    client.post("/admin/nurture/enrollment/", {"action": "stop_enrollments", "_selected_action": [enrollment.pk]})
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.stopped_by) == (EnrollmentState.STOPPED, admin_user)


# ---------------------------------------------------------------- the ready-made sequences, end to end


def test_abandoned_cart_reminder(smtp_server, ready_made, make_lead, consenting, alice):
    ready_made("abandoned-cart")
    lead = consenting(make_lead(owner=alice, first_name="Anna", product_interest="Coffee machine"))
    record_behaviour("cart_abandoned", lead=lead)

    tick()
    assert smtp_server.received == []  # an hour first
    tick(later(minutes=61))
    assert subjects(smtp_server) == ["Anna, you left something in your cart"]
    assert "Coffee machine" in smtp_server.received[0].message.get_body(("plain",)).get_content()
    tick(later(days=2, minutes=62))
    task = Task.objects.get(lead=lead, title__startswith="Call about the abandoned cart")
    assert task.assignee == alice and task.kind == TaskKind.FOLLOW_UP and task.title.endswith(lead.full_name)
    assert Enrollment.objects.get().state == EnrollmentState.FINISHED


def test_discount_after_long_browsing_without_purchase(smtp_server, ready_made, make_lead, consenting):
    from leadflow.worker import run_periodic

    ready_made("browsing-discount")
    browser = consenting(make_lead(email="long@client.example"))
    buyer = consenting(make_lead(email="buyer@client.example"))
    glance = consenting(make_lead(email="short@client.example"))
    for lead, minutes in ((browser, [6, 5]), (buyer, [20]), (glance, [3, 4])):
        for value in minutes:
            record_behaviour("page_view", lead=lead, duration_seconds=value * 60, url="https://shop.example/p")
    record_behaviour("page_view", lead=glance, duration_seconds=30 * 60,
                     occurred_at=timezone.now() - timedelta(days=8))  # outside the 7 days
    record_behaviour("purchase", lead=buyer)

    run_periodic()
    tick()

    assert [e.lead for e in Enrollment.objects.all()] == [browser]
    message = smtp_server.to("long@client.example")[0]
    code = Enrollment.objects.get().context["discount_code"]
    assert code.startswith("HELLO-") and code in message.get_body(("plain",)).get_content()
    browser.refresh_from_db()
    assert browser.temperature == "warm" and list(browser.tags.values_list("name", flat=True)) == ["discount sent"]
    run_periodic()
    tick()
    assert Enrollment.objects.count() == 1 and len(smtp_server.received) == 1


def test_farewell_after_refusal_with_a_survey_stored_on_the_lead(smtp_server, ready_made, make_lead, consenting,
                                                                alice):
    ready_made("farewell")
    lead = consenting(make_lead(owner=alice, email="gone@client.example"))
    leads.refuse_lead(lead=lead, reason=LostReason.objects.first(), by=alice)

    tick()
    tick(later(days=1, minutes=1))

    message = smtp_server.to("gone@client.example")[0]
    assert message["Subject"] == "Sorry it did not work out"
    html = message.get_body(("html",)).get_content()
    survey = html.split("https://crm.shop.example/m/c/")[1].split('"')[0]
    clicked = HttpClient().get("/m/c/" + survey.replace("&amp;", "&"))
    assert clicked.status_code == 302 and "/m/s/" in clicked["Location"]
    survey_path = clicked["Location"].replace("https://crm.shop.example", "")

    visitor = HttpClient()
    assert visitor.post(survey_path, {"comment": "x"}).status_code == 200  # no reason: asked again
    assert SurveyAnswer.objects.count() == 0
    done = visitor.post(survey_path, {"reason": "price", "comment": "<img src=x onerror=alert(1)>",
                                      "may_contact_later": "on"})
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    answer = SurveyAnswer.objects.get(lead=lead)
    assert (answer.reason, answer.may_contact_later) == ("price", True)

    manager = HttpClient()
    manager.force_login(alice)
    panel = manager.get(f"/marketing/cards/lead/{lead.pk}/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in panel and "<img src=x" not in panel
    assert "The price" in panel


def test_holiday_greetings_while_deferred_then_stop_when_back(smtp_server, ready_made, make_lead, consenting, alice):
    ready_made("holiday-greetings")
    lead = consenting(make_lead(owner=alice, email="later@client.example"))
    leads.defer_lead(lead=lead, until=timezone.localdate() + timedelta(days=400), by=alice)

    tick()
    enrollment = Enrollment.objects.get()
    holiday, moment = services.next_holiday(timezone.now())
    assert enrollment.next_run_at == moment and holiday is not None
    tick(moment + timedelta(minutes=1))

    message = smtp_server.to("later@client.example")[0]
    assert holiday.name in message["Subject"]
    enrollment.refresh_from_db()
    _following, second_moment = services.next_holiday(moment + timedelta(minutes=1))
    assert enrollment.state == EnrollmentState.ACTIVE and enrollment.next_run_at == second_moment

    leads.reopen_lead(lead=lead, by=alice)
    tick(second_moment + timedelta(minutes=1))
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.stop_reason) == (EnrollmentState.STOPPED, "not_deferred")
    assert len(smtp_server.received) == 1


def test_time_to_call_again_reuses_the_deferral_task(ready_made, make_lead, alice):
    ready_made("call-again")
    lead = make_lead(owner=alice)
    until = timezone.localdate() + timedelta(days=3)
    leads.defer_lead(lead=lead, until=until, by=alice)
    deferral_task = Task.objects.get(lead=lead, completed_at__isnull=True)

    assert leads.return_deferred(today=until) == 1
    tick()

    lead.refresh_from_db()
    open_tasks = list(Task.objects.filter(lead=lead, completed_at__isnull=True))
    assert open_tasks == [deferral_task]  # the deferral's "Time to call again" task, not a second one
    assert open_tasks[0].assignee == alice
    assert lead.temperature == "warm" and lead.state == "open"
    assert Enrollment.objects.get().state == EnrollmentState.FINISHED


def test_time_to_call_again_creates_the_task_when_none_is_open(ready_made, make_lead, alice):
    ready_made("call-again")
    lead = make_lead(owner=alice)
    until = timezone.localdate() + timedelta(days=3)
    leads.defer_lead(lead=lead, until=until, by=alice)
    Task.objects.filter(lead=lead).update(completed_at=timezone.now())  # alice closed it early

    leads.return_deferred(today=until)
    tick()

    task = Task.objects.get(lead=lead, completed_at__isnull=True)
    assert task.title == f"Time to call again: {lead.full_name}" and task.assignee == alice


def test_upsell_to_a_new_client(smtp_server, ready_made, make_lead, consenting, alice):
    ready_made("upsell")
    lead = consenting(make_lead(owner=alice, first_name="Oleg", email="oleg@client.example",
                                product_interest="Grinder"))
    client = leads.convert_lead(lead=lead, by=alice)
    first_call = Task.objects.get(client=client)  # the conversion's own first task for the owner

    tick()
    enrollment = Enrollment.objects.get(client=client)
    tick(later(days=30, minutes=1))
    message = smtp_server.to("oleg@client.example")[0]
    assert message["Subject"] == "Oleg, something that goes with it"
    assert "Grinder" in message.get_body(("plain",)).get_content()
    tick(later(days=44, minutes=2))
    task = Task.objects.exclude(pk=first_call.pk).get(client=client, completed_at__isnull=True)
    assert task.assignee == alice and task.title == f"Offer an add-on to {lead.full_name}"
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.FINISHED
    assert MailMessage.objects.get().status == MessageStatus.SENT


def test_a_repeat_web_form_request_is_not_a_reply(news, make_lead):
    lead = make_lead()
    services.enroll(sequence=news, lead=lead)
    leads.attach_request(lead=lead, person=leads.PersonFacts(full_name=lead.full_name, email=lead.email),
                         touch=leads.Touch(channel="form"))
    tick()
    assert Enrollment.objects.get().state == EnrollmentState.ACTIVE


def test_entering_a_segment_enrolls_and_the_letter_comes_in_the_persons_language(smtp_server, make_lead,
                                                                                 consenting):
    from leadflow.leads.models import Lead
    from leadflow.nurture.models import Segment
    from leadflow.worker import run_periodic

    hot = Segment.objects.create(name="Hot", conditions={"temperature": ["hot"]})
    MailTemplate.objects.create(name="Hot", language="en", subject="Ready, {{ first_name }}?", html_body="<p>x</p>")
    MailTemplate.objects.create(name="Hot", language="ru", subject="Готовы, {{ first_name }}?", html_body="<p>x</p>")
    sequence = Sequence.objects.create(name="Hot", trigger="segment", segment=hot, is_active=True)
    Step.objects.create(sequence=sequence, position=1, kind="send", template_name="Hot")
    russian = consenting(make_lead(first_name="Мария", last_name="Иванова", email="maria@client.example"))
    english = consenting(make_lead(first_name="John", last_name="Smith", email="john@client.example"))
    cold = consenting(make_lead(email="cold@client.example"))

    run_periodic()
    assert Enrollment.objects.count() == 0  # nobody is hot yet
    Lead.objects.filter(pk__in=[russian.pk, english.pk]).update(temperature="hot")
    run_periodic()
    tick()
    run_periodic()  # still in the segment: re-entry "once" keeps them from a second run

    assert sorted(e.lead_id for e in Enrollment.objects.all()) == sorted([russian.pk, english.pk])
    assert smtp_server.to("maria@client.example")[0]["Subject"] == "Готовы, Мария?"
    assert smtp_server.to("john@client.example")[0]["Subject"] == "Ready, John?"
    assert smtp_server.to(cold.email) == []


def test_a_reply_from_another_address_finds_the_card_by_our_message_id(smtp_server, news, make_lead, consenting):
    """Anna got the sequence at her personal address and answers from work: In-Reply-To names our message,
    so the answer joins her card (no second lead) and stops the sequence."""
    lead = consenting(make_lead(first_name="Anna", last_name="Smirnova", email="anna@client.example"))
    record_behaviour("add_to_cart", lead=lead)
    tick()
    sent = MailMessage.objects.get(lead=lead)
    raw = (f"From: Anna Smirnova <a.smirnova@work.example>\r\nTo: sales@shop.example\r\nSubject: Re: First\r\n"
           f"Message-ID: <reply-from-work@work.example>\r\nIn-Reply-To: {sent.message_id}\r\n"
           f"References: {sent.message_id}\r\n\r\nPlease call me at work.\r\n").encode()

    take_email(raw=raw, via="smtp")
    tick(later(minutes=61))

    assert lead.requests.filter(channel="email").count() == 1
    from leadflow.leads.models import Lead

    assert Lead.objects.count() == 1
    enrollment = Enrollment.objects.get()
    assert (enrollment.state, enrollment.stop_reason) == (EnrollmentState.STOPPED, "reply")
    assert subjects(smtp_server) == ["First"]
