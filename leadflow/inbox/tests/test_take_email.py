"""Taking an e-mail: raw first, then parsed and handed to the pipeline; replies go to their thread's card."""

from __future__ import annotations

import pytest

from leadflow.inbox import parsing, services
from leadflow.inbox.models import Attachment, EmailStatus, IncomingEmail
from leadflow.inbox.tests.messages import BODY, LONG_BODY, assert_long_letter_kept, build
from leadflow.intake.models import Submission, SubmissionStatus
from leadflow.leads.models import Lead, Request, Task, TaskKind

pytestmark = pytest.mark.django_db


def test_a_persons_email_becomes_a_lead_with_the_contacts_found_in_it(sales, head):
    raw = build(body=BODY, charset="windows-1251", message_id="<first@romashka.ru>")

    email = services.take_email(raw=raw, via="smtp", envelope_from="ivan.petrov@romashka.ru",
                                envelope_to=["sales@example.com"])

    email.refresh_from_db()
    assert email.status == EmailStatus.SUBMITTED and bytes(email.raw) == raw
    assert email.submission.status == SubmissionStatus.CREATED and email.submission.channel == "email"
    lead = email.lead
    assert (lead.first_name, lead.last_name, lead.email, lead.phone) == (
        "Иван", "Петров", "ivan.petrov@romashka.ru", "+79123456789")
    assert (lead.company_name, lead.legal_form, lead.channel) == ("Ромашка", "ООО", "email")
    assert lead.message.startswith("Вопрос о поставке\n\nЗдравствуйте!")
    assert email.submission.payload["message_id"] == "<first@romashka.ru>"


def test_the_same_message_taken_twice_is_one_email_and_one_submission(sales):
    raw = build(body=BODY, message_id="<twice@romashka.ru>")

    first = services.take_email(raw=raw, via="smtp")
    second = services.take_email(raw=raw, via="imap")

    assert first.pk == second.pk
    assert IncomingEmail.objects.count() == 1 and Submission.objects.count() == 1 and Lead.objects.count() == 1


def test_a_message_without_message_id_is_identified_by_its_bytes(sales):
    raw = build(body=BODY).replace(b"Message-ID:", b"X-Old-Id:")

    services.take_email(raw=raw, via="smtp")
    services.take_email(raw=raw, via="smtp")
    services.take_email(raw=raw + b"\r\nP.S.\r\n", via="smtp")

    assert IncomingEmail.objects.filter(key__startswith="sha256:").count() == 2


def test_the_raw_message_is_kept_when_parsing_fails(sales, monkeypatch):
    raw = build(body=BODY, message_id="<broken@romashka.ru>")

    def broken(raw: bytes, **kwargs: object) -> parsing.ParsedEmail:
        raise ValueError("a parser bug")

    monkeypatch.setattr(parsing, "parse", broken)
    email = services.take_email(raw=raw, via="smtp")

    email.refresh_from_db()
    assert (email.status, email.error) == (EmailStatus.UNREADABLE, "ValueError: a parser bug")
    assert bytes(email.raw) == raw and Submission.objects.count() == 0

    monkeypatch.undo()  # the bug is fixed: the stored message is processed again
    services.process_email(email=email)
    email.refresh_from_db()
    assert email.status == EmailStatus.SUBMITTED and email.lead is not None


@pytest.mark.parametrize(
    "headers",
    [{"Auto-Submitted": "auto-replied"}, {"List-Unsubscribe": "<mailto:u@example.com>"}, {"Precedence": "bulk"}],
)
def test_automatic_and_list_mail_is_journaled_but_not_a_lead(sales, headers):
    raw = build(body=BODY, headers=headers)

    email = services.take_email(raw=raw, via="imap")

    email.refresh_from_db()
    assert email.status == EmailStatus.IGNORED and bytes(email.raw) == raw
    assert Submission.objects.count() == 0 and Lead.objects.count() == 0


def test_a_null_envelope_sender_is_automatic_mail(sales):
    email = services.take_email(raw=build(body=BODY), via="smtp", envelope_from="<>")

    email.refresh_from_db()
    assert (email.status, email.kind_reason) == (EmailStatus.IGNORED, "null envelope sender (MAIL FROM:<>)")
    assert Lead.objects.count() == 0


def test_a_reply_in_the_thread_attaches_to_the_card_even_from_another_address(sales, alice):
    first = services.take_email(raw=build(body=BODY, message_id="<q1@romashka.ru>"), via="smtp", envelope_from="x@y")
    lead = first.lead
    reply = build(
        body="Коллега ответит по деталям.\n\n> Интересует поставка\n", subject="Re: Вопрос о поставке",
        sender=("", "office@romashka.ru"), message_id="<q3@romashka.ru>",
        in_reply_to="<reply-from-manager@example.com>", references="<q1@romashka.ru> <reply-from-manager@example.com>",
    )

    email = services.take_email(raw=reply, via="smtp", envelope_from="office@romashka.ru")

    email.refresh_from_db()
    assert email.submission.status == SubmissionStatus.ATTACHED and email.lead == lead
    assert Lead.objects.count() == 1
    request = Request.objects.get(submission_id=email.submission_id)
    assert request.lead == lead and request.matched_by == "reply in an e-mail thread of this card"
    assert request.message == "Re: Вопрос о поставке\n\nКоллега ответит по деталям."


def test_a_thread_hint_in_a_web_payload_is_ignored(sales, make_lead, web_form):
    from leadflow.intake import pipeline

    victim = make_lead()
    outcome = pipeline.receive(pipeline.Inbound(
        channel="form", form=web_form,
        payload={"name": "Мошенник Злой", "phone": "+7 999 000-00-01", "thread_card": {"lead": victim.pk}},
    ))

    assert outcome.status == SubmissionStatus.CREATED and outcome.lead != victim


def test_a_reply_to_a_message_that_made_no_card_is_matched_as_usual(sales):
    services.take_email(raw=build(body=BODY, message_id="<list@x>", headers={"Precedence": "bulk"}), via="smtp",
                        envelope_from="a@b")

    email = services.take_email(raw=build(body=BODY, in_reply_to="<list@x>"), via="smtp", envelope_from="a@b")

    email.refresh_from_db()
    assert email.submission.status == SubmissionStatus.CREATED


def test_an_answer_from_the_same_person_without_thread_headers_still_matches_the_card(sales):
    first = services.take_email(raw=build(body=BODY), via="smtp", envelope_from="a@b")

    again = services.take_email(raw=build(body="Ещё вопрос: есть ли доставка?", subject="Доставка"), via="smtp",
                                envelope_from="a@b")

    again.refresh_from_db()
    assert again.submission.status == SubmissionStatus.ATTACHED and again.lead == first.lead


def test_role_mailbox_without_a_name_is_an_interest_with_a_task_to_answer_for_a_lead_only(sales):
    email = services.take_email(raw=build(body="Пришлите прайс", sender=("", "info@shop.ru")), via="smtp",
                                envelope_from="info@shop.ru")

    email.refresh_from_db()
    assert email.submission.status == SubmissionStatus.INTEREST and email.lead is None


def test_a_lead_by_email_only_gets_an_answer_the_email_task(sales):
    email = services.take_email(raw=build(body="Пришлите прайс, пожалуйста.", sender=("Олег Сидоров", "oleg@ya.ru")),
                                via="smtp", envelope_from="oleg@ya.ru")

    email.refresh_from_db()
    assert Task.objects.get(lead=email.lead).kind == TaskKind.EMAIL


def test_attachments_are_stored_as_files_under_media_root(sales, settings):
    pdf = b"%PDF-1.4 price list"
    raw = build(body=BODY, attachments=(("../../etc/прайс.pdf", "application/pdf", pdf),))

    email = services.take_email(raw=raw, via="smtp", envelope_from="a@b")

    attachment = Attachment.objects.get(email=email)
    path = settings.MEDIA_ROOT / attachment.file.name
    assert path.read_bytes() == pdf and path.name == "прайс.pdf"
    assert path.resolve().is_relative_to(settings.MEDIA_ROOT / "inbox")
    assert (attachment.filename, attachment.size) == ("../../etc/прайс.pdf", len(pdf))
    assert email.submission.payload["attachments"] == ["../../etc/прайс.pdf"]


def test_a_very_long_letter_is_cut_after_a_word_and_kept_whole_on_the_request(sales):
    email = services.take_email(raw=build(body=LONG_BODY), via="smtp", envelope_from="a@b")

    email.refresh_from_db()
    assert_long_letter_kept(email)


def test_a_message_left_unprocessed_by_a_crash_is_finished_when_taken_again(sales):
    raw = build(body=BODY, message_id="<crash@romashka.ru>")
    email, _ = services.store_email(raw=raw, via="imap")  # stored, then the process died

    services.take_email(raw=raw, via="imap")
    email.refresh_from_db()
    assert email.status == EmailStatus.STORED  # maybe still being processed by the first taker

    IncomingEmail.objects.filter(pk=email.pk).update(received_at=email.received_at - services.STALE_AFTER)
    services.take_email(raw=raw, via="imap")
    email.refresh_from_db()
    assert email.status == EmailStatus.SUBMITTED and Lead.objects.count() == 1


def test_the_worker_finishes_a_message_a_crash_left_stored(sales):
    from leadflow.inbox import imap

    fresh, _ = services.store_email(raw=build(body=BODY, message_id="<fresh@x>"), via="smtp", envelope_from="a@b")
    old, _ = services.store_email(raw=build(body=BODY, message_id="<old@x>"), via="smtp", envelope_from="a@b")
    IncomingEmail.objects.filter(pk=old.pk).update(received_at=old.received_at - services.STALE_AFTER)
    imap.POLL.reset()

    assert imap.poll_mailboxes_when_due() == 1
    assert services.finish_stale_emails() == 0  # taken once only

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == (EmailStatus.SUBMITTED, EmailStatus.STORED)


def test_a_reply_to_a_converted_lead_goes_to_its_client(sales, head, make_lead):
    from leadflow.leads import services as leads

    first = services.take_email(raw=build(body=BODY, message_id="<c1@romashka.ru>"), via="smtp", envelope_from="a@b")
    client = leads.convert_lead(lead=first.lead, by=head)

    reply = services.take_email(
        raw=build(body="Оплату отправили.", subject="Re: Счёт", sender=("Бухгалтерия", "buh@romashka.ru"),
                  in_reply_to="<c1@romashka.ru>"),
        via="smtp", envelope_from="buh@romashka.ru",
    )

    reply.refresh_from_db()
    assert reply.submission.status == SubmissionStatus.ATTACHED
    assert (reply.client, reply.lead) == (client, None)


def test_a_reply_to_a_merged_lead_goes_to_the_surviving_card(sales, head, make_lead):
    from leadflow.leads.merging import merge_leads

    first = services.take_email(raw=build(body=BODY, message_id="<m1@romashka.ru>"), via="smtp", envelope_from="a@b")
    survivor = make_lead(first_name="Иван", last_name="Петров", email="ivan@other.ru")
    merge_leads(survivor=survivor, others=[first.lead], by=head)

    reply = services.take_email(raw=build(body="Спасибо!", sender=("", "zam@romashka.ru"),
                                          references="<m1@romashka.ru>"), via="smtp", envelope_from="zam@romashka.ru")

    reply.refresh_from_db()
    assert reply.submission.status == SubmissionStatus.ATTACHED and reply.lead == survivor


@pytest.mark.parametrize("filename", ["..", "???", "con\x00.txt", ""])
def test_attachment_names_that_cannot_be_file_names_are_still_stored(sales, settings, filename):
    raw = build(body=BODY, attachments=(("placeholder.bin", "application/octet-stream", b"data"),))
    raw = raw.replace(b'filename="placeholder.bin"', f'filename="{filename}"'.encode("latin-1"))

    email = services.take_email(raw=raw, via="smtp", envelope_from="a@b")

    attachment = Attachment.objects.get(email=email)
    assert (settings.MEDIA_ROOT / attachment.file.name).read_bytes() == b"data"
    assert email.status == EmailStatus.SUBMITTED


def test_an_address_given_as_the_display_name_is_not_taken_for_a_name(sales):
    raw = build(body="Пришлите прайс", sender=("oleg@ya.ru", "oleg@ya.ru"))

    assert parsing.parse(raw).from_name == ""


def test_a_failure_after_storing_keeps_the_message_for_a_replay(sales, monkeypatch):
    from leadflow.intake import pipeline

    def down(inbound: pipeline.Inbound) -> pipeline.Outcome:
        raise RuntimeError("database went away")

    monkeypatch.setattr(pipeline, "receive", down)
    email = services.take_email(raw=build(body=BODY), via="smtp", envelope_from="a@b")

    email.refresh_from_db()
    assert (email.status, email.error) == (EmailStatus.FAILED, "RuntimeError: database went away")
    monkeypatch.undo()
    services.process_email(email=email)
    email.refresh_from_db()
    assert email.status == EmailStatus.SUBMITTED and email.lead is not None


def test_without_a_from_header_the_envelope_sender_is_the_address(sales):
    raw = build(body=BODY).replace(b"From:", b"X-Original-From:", 1)

    email = services.take_email(raw=raw, via="smtp", envelope_from="ivan.petrov@romashka.ru")

    email.refresh_from_db()
    assert email.lead.email == "ivan.petrov@romashka.ru" and email.lead.full_name == "Петров Иван"


def test_a_sender_name_and_company_too_long_are_cut_after_a_word_and_kept_whole_on_the_request(sales):
    name = "Иван Петров " + "из отдела закупок и снабжения " * 10
    company = "ООО Агропромышленный" + "-холдинг" * 40
    body = f"Здравствуйте! Пришлите прайс.\n\nС уважением,\nИван Петров\n{company}\n+7 912 345-67-89"
    assert len(name.strip()) > 255 and len(company) > 255

    email = services.take_email(raw=build(body=body, sender=(name, "ivan@romashka.ru")), via="smtp")

    email.refresh_from_db()
    assert email.submission.status == SubmissionStatus.CREATED
    # the message's own columns have the beginning, cut after a word as the card's are
    assert len(email.from_name) <= 255 and email.from_name.endswith("…")
    assert email.from_name.removesuffix("…").split()[-1] in name.split()
    assert len(email.company) <= 255 and email.company.endswith("…")
    lead = email.lead
    assert (lead.first_name, lead.last_name) == ("Иван", "Петров") and len(lead.company_name) <= 255
    kept = {item["field"]: (item["code"], item["value"]) for item in Request.objects.get().facts["unreadable"]}
    assert kept["name"] == ("too_long", name.strip())
    assert kept["company"][0] == "too_long" and "Агропромышленный" + "-холдинг" * 40 in kept["company"][1]


def test_a_message_whose_lead_failed_in_the_pipeline_is_taken_again_by_the_worker(sales, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from leadflow.intake import pipeline
    from leadflow.leads import services as leads

    real = leads.create_lead
    calls = {"left": 1}

    def down_once(**kwargs: object) -> Lead:
        if calls["left"]:
            calls["left"] -= 1
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(leads, "create_lead", down_once)
    email = services.take_email(raw=build(body=BODY), via="smtp", envelope_from="ivan.petrov@romashka.ru")
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED and email.submission.status == SubmissionStatus.FAILED

    assert services.retry_failed_emails() == 0  # its pause has not passed
    later = timezone.now() + pipeline.RETRY_PAUSES[0] + timedelta(seconds=5)
    assert services.retry_failed_emails(now=later) == 1

    email.refresh_from_db()
    assert email.status == EmailStatus.SUBMITTED and email.error == ""
    assert email.submission.status == SubmissionStatus.CREATED and email.lead == Lead.objects.get()
    assert pipeline.retry_due(now=later + timedelta(hours=1)) == 0  # the e-mail is the inbox's: not swept twice
