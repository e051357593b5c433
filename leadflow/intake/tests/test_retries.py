"""A submission whose processing failed, or that a stopped process left unfinished, is not left in the journal
for a person to find: the worker tries it again after a pause, a sender's retry processes it at once, and the
admins are told when the last attempt failed. However many try, it is processed once."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.intake import pipeline, webform_rules
from leadflow.intake.models import Submission, SubmissionStatus
from leadflow.leads import services as leads
from leadflow.leads.models import Lead, Notification, Request
from leadflow.worker import run_periodic

pytestmark = pytest.mark.django_db

BODY = {"name": "Иван Петров", "phone": "+79123456789", "email": "ivan@example.ru"}


def post(body: dict, **headers: str):
    return HttpClient().post("/api/submissions", data=json.dumps(body), content_type="application/json",
                             headers=headers)


class Outage:
    """The database refusing the lead's writes for a while (what a full disk or a restarted server does),
    raised from inside the pipeline's transaction as the driver would."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, times: int | None = None) -> None:
        self.left = times
        real = leads.create_lead

        def create_lead(**kwargs):
            if self.left is None or self.left > 0:
                if self.left is not None:
                    self.left -= 1
                raise RuntimeError("database went away")
            return real(**kwargs)

        monkeypatch.setattr(leads, "create_lead", create_lead)


def _age(submission: Submission, *, minutes: float) -> None:
    """As if it had arrived (and last failed) that long ago."""
    moment = timezone.now() - timedelta(minutes=minutes)
    Submission.objects.filter(pk=submission.pk).update(received_at=moment, processed_at=moment)


def test_a_failed_partner_submission_is_answered_503_with_its_id_and_processed_by_the_worker(partner, monkeypatch):
    _, key = partner
    Outage(monkeypatch, times=1)
    response = post(BODY, **{"X-Api-Key": key})
    assert response.status_code == 503
    data = response.json()
    assert data["error"]["code"] == "processing_failed" and response["Retry-After"] == "60"
    submission = Submission.objects.get(pk=data["submission_id"])
    assert (submission.status, submission.attempts) == (SubmissionStatus.FAILED, 1)
    assert not Lead.objects.exists()

    run_periodic()  # its pause has not passed: not tried yet
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.FAILED
    _age(submission, minutes=3)
    results = run_periodic()

    submission.refresh_from_db()
    assert results["submissions_retried"] == 1
    assert submission.status == SubmissionStatus.CREATED and submission.errors == {}
    lead = Lead.objects.get()
    assert submission.lead == lead and lead.phone == "+79123456789"
    status = HttpClient().get(f"/api/submissions/{submission.pk}", headers={"X-Api-Key": key}).json()
    assert (status["status"], status["decision"], status["lead_id"]) == ("created", "accepted", lead.pk)


def test_a_retry_with_the_same_idempotency_key_processes_a_failed_submission_at_once(partner, monkeypatch):
    _, key = partner
    Outage(monkeypatch, times=1)
    first = post(BODY, **{"X-Api-Key": key, "Idempotency-Key": "order-17"})
    assert first.status_code == 503

    again = post(BODY, **{"X-Api-Key": key, "Idempotency-Key": "order-17"})

    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["submission_id"] == first.json()["submission_id"]
    assert again.json()["lead_id"] == Lead.objects.get().pk
    assert Submission.objects.count() == 1


def test_a_submission_left_received_by_a_stopped_process_is_finished_by_the_worker(web_form):
    # Journaled, then the server was killed before processing committed: only the journal row is there.
    submission, _ = pipeline.journal(pipeline.Inbound(channel="form", payload=BODY, form=web_form))
    run_periodic()
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.RECEIVED  # may be in work now
    _age(submission, minutes=3)

    run_periodic()

    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.CREATED
    assert Lead.objects.get().team == web_form.team


def test_a_double_click_on_a_form_whose_first_submission_failed_processes_it(web_form, monkeypatch):
    Outage(monkeypatch, times=1)
    page = {"name": BODY["name"], "phone": BODY["phone"], "email": BODY["email"], "consent": True,
            "_ts": webform_rules.issue_token(web_form, now=0)}
    first = HttpClient().post(f"/f/{web_form.slug}/submit", data=json.dumps(page), content_type="application/json")
    assert first.status_code == 200  # the visitor is thanked: the request is kept and will be processed
    assert Submission.objects.get().status == SubmissionStatus.FAILED

    second = HttpClient().post(f"/f/{web_form.slug}/submit", data=json.dumps(page), content_type="application/json")

    assert second.status_code == 200
    assert Submission.objects.get().status == SubmissionStatus.CREATED
    assert Lead.objects.count() == 1


def test_pauses_grow_and_admins_are_told_once_when_the_last_attempt_fails(partner, admin_user, alice, monkeypatch):
    _, key = partner
    Outage(monkeypatch)  # never comes back
    submission = Submission.objects.get(pk=post(BODY, **{"X-Api-Key": key}).json()["submission_id"])
    pauses = [pause.total_seconds() / 60 for pause in pipeline.RETRY_PAUSES]
    assert pauses == sorted(pauses)

    for attempt, pause in enumerate(pauses, start=2):
        _age(submission, minutes=pause - 0.5)  # not yet
        assert run_periodic()["submissions_retried"] == 0
        _age(submission, minutes=max(pause, 2) + 0.5)
        assert run_periodic()["submissions_retried"] == 1
        submission.refresh_from_db()
        assert (submission.status, submission.attempts) == (SubmissionStatus.FAILED, attempt)

    told = Notification.objects.filter(kind="submission.failed")
    assert [note.user for note in told] == [admin_user]  # not the manager
    assert f"no. {submission.pk}" in told.get().shown_text and "journal" in told.get().shown_text
    _age(submission, minutes=24 * 60)
    assert run_periodic()["submissions_retried"] == 0  # given up: waits for a person's replay
    assert told.count() == 1


def test_the_admin_is_told_in_their_own_language(partner, admin_user, monkeypatch):
    from django.utils import translation

    admin_user.language = "ru"
    admin_user.save(update_fields=["language"])
    _, key = partner
    Outage(monkeypatch)
    submission = Submission.objects.get(pk=post(BODY, **{"X-Api-Key": key}).json()["submission_id"])
    Submission.objects.filter(pk=submission.pk).update(attempts=len(pipeline.RETRY_PAUSES))
    _age(submission, minutes=24 * 60)
    run_periodic()

    with translation.override("ru"):
        text = Notification.objects.get(kind="submission.failed").shown_text
    assert "Партнёр" in text or "партн" in text.lower()
    assert "журнал" in text


def test_imports_e_mails_and_calls_are_left_to_their_own_machinery(sales):
    for channel in ("import", "email", "phone"):
        pipeline.journal(pipeline.Inbound(channel=channel, payload=BODY))
    Submission.objects.update(received_at=timezone.now() - timedelta(hours=1))

    assert pipeline.retry_due() == 0
    assert set(Submission.objects.values_list("status", flat=True)) == {SubmissionStatus.RECEIVED}


def test_a_submission_finished_meanwhile_is_not_processed_twice(partner, monkeypatch):
    # The worker read the failed submission; before it processed it, the partner's retry did.
    _, key = partner
    Outage(monkeypatch, times=1)
    post(BODY, **{"X-Api-Key": key, "Idempotency-Key": "k1"})
    stale_copy = Submission.objects.get()
    assert post(BODY, **{"X-Api-Key": key, "Idempotency-Key": "k1"}).status_code == 201

    outcome = pipeline.process(stale_copy)

    assert outcome.status == SubmissionStatus.CREATED and outcome.replayed
    assert Lead.objects.count() == 1 and Request.objects.count() == 1
    assert Submission.objects.get().status == SubmissionStatus.CREATED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_and_a_retry_at_the_same_moment_make_one_lead(partner, at_once, monkeypatch):
    _, key = partner
    Outage(monkeypatch, times=1)
    post(BODY, **{"X-Api-Key": key, "Idempotency-Key": "k2"})
    submission = Submission.objects.get()
    _age(submission, minutes=3)

    def worker(_: object) -> int:
        return pipeline.retry_due()

    def retry(_: object) -> int:
        return post(BODY, **{"X-Api-Key": key, "Idempotency-Key": "k2"}).status_code

    results = at_once(lambda work: work(None), [worker, retry, worker])

    assert results[1] == 201
    assert Lead.objects.count() == 1 and Request.objects.count() == 1
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.CREATED and submission.attempts == 1
    connection.close()
