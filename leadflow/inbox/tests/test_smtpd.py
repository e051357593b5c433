"""`leadflow smtpd` against a real SMTP client (smtplib): accepted, refused, too large, automatic mail."""

from __future__ import annotations

import re
import signal
import smtplib
import subprocess
import threading
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command

from leadflow.core.tests.test_worker import PROCESS_TIMEOUT, isolated_env, leadflow_command, query, wait_until
from leadflow.inbox.models import EmailStatus, IncomingEmail
from leadflow.inbox.smtp import SmtpServer
from leadflow.inbox.tests.messages import BODY, LONG_BODY, assert_long_letter_kept, build
from leadflow.intake.models import SubmissionStatus

# The server stores messages from its own thread: the test's data must be committed for it to see.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtpd(sales) -> Iterator[SmtpServer]:
    server = SmtpServer(host="127.0.0.1", port=0, recipients=["sales@example.com", "@leads.example.com"],
                        max_bytes=200_000)
    server.start()
    yield server
    server.stop()


def client(server: SmtpServer) -> smtplib.SMTP:
    return smtplib.SMTP("127.0.0.1", server.port, timeout=30)


def test_a_message_to_an_accepted_address_becomes_a_lead(smtpd):
    raw = build(body=BODY, charset="koi8-r", cte="quoted-printable", message_id="<smtp-1@romashka.ru>")

    with client(smtpd) as smtp:
        refused = smtp.sendmail("ivan.petrov@romashka.ru", ["sales@example.com"], raw)
        code, _ = smtp.noop()

    assert refused == {} and code == 250
    email = IncomingEmail.objects.get()
    assert bytes(email.raw) == raw and email.via == "smtp" and email.envelope_to == ["sales@example.com"]
    assert email.envelope_from == "ivan.petrov@romashka.ru" and email.peer == "127.0.0.1"
    assert email.submission.status == SubmissionStatus.CREATED
    assert (email.lead.full_name, email.lead.phone, email.lead.company_name) == (
        "Петров Иван", "+79123456789", "Ромашка")


def test_a_letter_longer_than_a_request_is_cut_after_a_word_and_kept_whole(smtpd):
    with client(smtpd) as smtp:
        assert smtp.sendmail("ivan.petrov@romashka.ru", ["sales@example.com"], build(body=LONG_BODY)) == {}

    assert_long_letter_kept(IncomingEmail.objects.get())


def test_the_answer_names_the_stored_message(smtpd):
    with client(smtpd) as smtp:
        smtp.ehlo()
        smtp.mail("ivan.petrov@romashka.ru")
        smtp.rcpt("anyone@leads.example.com")
        code, answer = smtp.data(build(body=BODY))

    assert code == 250 and answer.decode() == f"2.0.0 Accepted as message {IncomingEmail.objects.get().pk}"


def test_a_recipient_that_is_not_configured_is_refused_with_550(smtpd):
    with client(smtpd) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail("spam@example.org", ["ceo@example.com"], build(body=BODY))

    code, answer = refused.value.recipients["ceo@example.com"]
    assert code == 550 and answer == b"5.1.1 <ceo@example.com>: recipient not accepted here"
    assert IncomingEmail.objects.count() == 0


def test_one_refused_recipient_does_not_lose_the_message_for_the_others(smtpd):
    with client(smtpd) as smtp:
        refused = smtp.sendmail("a@example.org", ["ceo@example.com", "Sales@Example.com"], build(body=BODY))

    assert list(refused) == ["ceo@example.com"]
    assert IncomingEmail.objects.get().envelope_to == ["Sales@Example.com"]


def test_a_message_over_the_size_limit_is_refused_with_552(smtpd):
    big = build(body=BODY, attachments=(("scan.tif", "image/tiff", b"\x00" * 300_000),))

    with client(smtpd) as smtp:
        with pytest.raises(smtplib.SMTPException) as error:
            smtp.sendmail("a@example.org", ["sales@example.com"], big)

    assert "552" in str(error.value)
    assert IncomingEmail.objects.count() == 0


def test_a_bounce_with_a_null_sender_is_stored_but_not_a_lead(smtpd):
    with client(smtpd) as smtp:
        smtp.sendmail("<>", ["sales@example.com"], build(body=BODY, subject="Вопрос"))

    email = IncomingEmail.objects.get()
    assert (email.status, email.envelope_from) == (EmailStatus.IGNORED, "<>")
    assert email.submission is None


def test_smtpd_refuses_to_start_without_addresses(settings):
    settings.LEADFLOW_SMTPD_ADDRESSES = []

    with pytest.raises(CommandError, match="LEADFLOW_SMTPD_ADDRESSES"):
        call_command("smtpd", "--port", "0")


def test_leadflow_smtpd_command_takes_mail_and_stops_on_sigterm(tmp_path):
    env = isolated_env(tmp_path, LEADFLOW_SMTPD_ADDRESSES="sales@example.com", LEADFLOW_SMTPD_PORT="0")
    database = tmp_path / "data" / "leadflow.sqlite3"
    subprocess.run(  # noqa: S603
        [*leadflow_command(), "migrate", "--verbosity", "0"], env=env, check=True, timeout=PROCESS_TIMEOUT, cwd=tmp_path
    )
    process = subprocess.Popen(  # noqa: S603
        [*leadflow_command(), "smtpd"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        wait_until(lambda: "SMTP server listening" in "".join(lines), what="`leadflow smtpd` to start")
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+) for sales@example\.com", "".join(lines)).group(1))
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.sendmail("ivan.petrov@romashka.ru", ["sales@example.com"], build(body=BODY, charset="windows-1251"))

        rows = query(database, "SELECT status FROM inbox_incomingemail")
        lead = query(database, "SELECT first_name, last_name, phone, channel FROM leads_lead")
        assert rows == [("submitted",)] and lead == [("Иван", "Петров", "+79123456789", "email")]

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=PROCESS_TIMEOUT) == 0
        reader.join(timeout=5)
        assert "SMTP server stopped." in "".join(lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_leadflow_run_starts_the_smtp_server_when_configured(tmp_path):
    env = isolated_env(tmp_path, LEADFLOW_PORT="0", LEADFLOW_SMTPD_PORT="0", LEADFLOW_SMTPD_IN_RUN="1",
                       LEADFLOW_SMTPD_ADDRESSES="sales@example.com")
    process = subprocess.Popen(  # noqa: S603
        [*leadflow_command(), "run", "--no-worker", "--no-demo"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        wait_until(lambda: "Press Ctrl+C to stop" in "".join(lines), what="`leadflow run` to start")
        port = int(re.search(r"SMTP server listening on 127\.0\.0\.1:(\d+)", "".join(lines)).group(1))
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.sendmail("ivan.petrov@romashka.ru", ["sales@example.com"], build(body=BODY))

        database = tmp_path / "data" / "leadflow.sqlite3"
        assert query(database, "SELECT email FROM leads_lead") == [("ivan.petrov@romashka.ru",)]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=PROCESS_TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_mail_to_a_mailbox_address_goes_to_that_mailbox_team(smtpd, sales, other_team):
    from leadflow.inbox.models import Mailbox

    # Not polled (inactive): it only names the team of sales@example.com.
    Mailbox.objects.create(name="Sales Moscow", host="imap.example.com", username="Sales@Example.com",
                           password="x", team=other_team, is_active=False)
    raw = build(body=BODY, message_id="<smtp-team@romashka.ru>")
    other = build(body=BODY.replace("Иван Петров", "Пётр Сидоров").replace("912) 345-67-89", "916) 111-22-33"),
                  sender=("Пётр Сидоров", "p.sidorov@vector.ru"), message_id="<smtp-team-2@vector.ru>")

    with client(smtpd) as smtp:
        assert smtp.sendmail("ivan.petrov@romashka.ru", ["sales@example.com"], raw) == {}
        assert smtp.sendmail("p.sidorov@vector.ru", ["orders@leads.example.com"], other) == {}

    teams = {email.lead.email: email.lead.team for email in IncomingEmail.objects.select_related("lead__team")}
    assert teams == {"ivan.petrov@romashka.ru": other_team, "p.sidorov@vector.ru": sales}
