"""After erasure the person's phone digits, e-mail and surname are nowhere: every text, JSON and binary column of
every model (Django's own too: the admin's change log), raw e-mails read as a mail client reads them, and the
files kept on disk. The person is put everywhere Leadflow keeps data by the ways it is put there in use: a
partner's lead, a manager correcting the card, an admin editing it in the admin, an import, a call, e-mails of
theirs and a colleague's letter copying them, webhook deliveries of the events."""

from __future__ import annotations

import email
import email.policy
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.events.models import Webhook, WebhookDelivery
from leadflow.events.services import deliver_pending
from leadflow.imports import services as imports
from leadflow.inbox.models import IncomingEmail
from leadflow.inbox.services import take_email
from leadflow.inbox.tests.messages import build
from leadflow.leads import services as leads
from leadflow.leads.models import Lead, Request
from leadflow.privacy import services
from leadflow.telephony import services as telephony
from leadflow.telephony.models import Integration
from leadflow.telephony.providers import CallReport

pytestmark = pytest.mark.django_db

EMAIL = "zinaida.belousova@example.ru"
DIGITS = "9161112233"
SURNAME = "Белоусова"
TRACES = (EMAIL, DIGITS, SURNAME, "belousova")


def _texts_of(value: Any) -> list[str]:
    """A stored value as text; a raw e-mail also as its decoded headers and text parts (base64 hides them)."""
    if value is None:
        return []
    if isinstance(value, bytes | memoryview):
        raw = bytes(value)
        texts = [raw.decode("utf-8", "replace")]
        if raw:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            texts += [f"{name}: {header}" for name, header in message.items()]
            for part in message.walk():
                if part.get_content_maintype() == "text":
                    texts.append(str(part.get_content()))
        return texts
    if isinstance(value, dict | list):
        return [json.dumps(value, ensure_ascii=False)]
    return [str(value)]


def _found(text: str) -> list[str]:
    folded = text.casefold()
    compact = re.sub(r"[\s\-().\u00a0]", "", text)
    return [trace for trace in TRACES if trace.casefold() in folded or (trace == DIGITS and DIGITS in compact)]


def traces_in_database() -> list[str]:
    """Where any trace of the person is still kept: 'Model.field #pk: trace'."""
    found = []
    for model in apps.get_models():
        columns = [f.attname for f in model._meta.concrete_fields
                   if isinstance(f, models.CharField | models.TextField | models.JSONField | models.BinaryField)]
        if not columns:
            continue
        for row in model.objects.values_list("pk", *columns).iterator():
            for name, value in zip(columns, row[1:], strict=True):
                for text in _texts_of(value):
                    found += [f"{model.__name__}.{name} #{row[0]}: {trace}" for trace in _found(text)]
    return sorted(set(found))


def traces_on_disk(root: Path) -> list[str]:
    return sorted(f"{path.relative_to(root)}: {trace}" for path in root.rglob("*") if path.is_file()
                  for text in _texts_of(path.read_bytes()) for trace in _found(text))


@pytest.fixture
def everywhere(partner, alice, bob, admin_user, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = str(tmp_path)
    _row, key = partner
    Webhook.objects.create(name="CRM", url="https://crm.example.com/hook", secret="s", events=["*"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = HttpClient().post("/api/submissions", content_type="application/json", headers={"X-Api-Key": key},
                                   data=json.dumps({"name": "Белоусова Зинаида Павловна", "phone": "8 916 111-22-33",
                                                    "email": "zina@old-mail.example.ru", "consent": True,
                                                    "company": "ИП Белоусова З. П.",
                                                    "message": "Звоните после обеда, Белоусова"}))
        assert answer.status_code == 201, answer.content
        kirill = HttpClient().post("/api/submissions", content_type="application/json", headers={"X-Api-Key": key},
                                   data=json.dumps({"name": "Орлов Кирилл", "phone": "+79035550000",
                                                    "email": "kirill@firm.example", "consent": True}))
        assert kirill.status_code == 201
    zina = Lead.objects.get(phone="+79161112233")
    leads.claim_lead(lead=zina, by=alice)
    # The manager corrects the e-mail (the history keeps the old and the new one) and notes a call.
    leads.update_lead(lead=zina, by=alice, changes={"email": EMAIL})
    leads.log_activity(lead=zina, kind="call", subject="Звонок", body="Белоусова просит счёт", by=alice)
    # The admin edits the card in Django's admin: its change log keeps the card's name.
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.log_actions(user_id=admin_user.pk, queryset=[zina], action_flag=CHANGE,
                                 change_message="Changed phone.", single_object=True)
    assert LogEntry.objects.filter(object_repr__contains=SURNAME,
                                   content_type=ContentType.objects.get_for_model(Lead)).exists()
    # Her call from the mobile (a finished call with its recording).
    integration = Integration.objects.create(name="PBX", secret="s")
    now = timezone.now()
    for kind, extra in (("incoming", {}), ("finished", {"answered": True, "duration": 30,
                                                        "recording_url": "https://pbx.example.ru/rec/89161112233.mp3"})):
        telephony.record_call_event(integration=integration, report=CallReport(
            kind=kind, call_id="c-1", event_key=f"c-1-{kind}", occurred_at=now, number="+7 916 111-22-33",
            line="+74951112233", raw={"caller": "89161112233", "event": kind}, **extra))
    # Her letter, and Kirill's letter copying her with her earlier message quoted.
    take_email(raw=build(body="Пришлите счёт. Зинаида Белоусова, +7 916 111-22-33",
                         sender=("Зинаида Белоусова", EMAIL)), via="smtp", envelope_from=EMAIL,
               envelope_to=["sales@example.com"])
    colleague = take_email(
        raw=build(body=("Нужен ламинат, 200 м², доставка в Тверь.\n\n"
                        f"14 нояб. 2026 г., Зинаида Белоусова <{EMAIL}> написал(а):\n"
                        "> Кирилл, позвони в салон, мой мобильный 8 (916) 111-22-33\n"),
                  sender=("Кирилл Орлов", "kirill@firm.example"),
                  headers={"Cc": f"Зинаида Белоусова <{EMAIL}>", "Reply-To": f"kirill@firm.example, {EMAIL}"}),
        via="smtp", envelope_from="kirill@firm.example", envelope_to=["sales@example.com"])
    # An import from an exhibition with her row.
    upload = SimpleUploadedFile("expo.csv", (f"ФИО;Телефон;E-mail\nБелоусова Зинаида;+7 916 111 22 33;{EMAIL}\n"
                                             "Смирнова Ольга;+79265550011;olga@expo.example\n").encode())
    job = imports.create_job(upload=upload, by=admin_user)
    imports.set_mapping(job=job, mapping={"0": "name", "1": "phone", "2": "email"}, source=None, campaign=None,
                        by=admin_user)
    imports.run_import(job)
    # Every event goes out to the webhook; the receiver is down, and deliveries wait for another attempt.
    deliver_pending()
    WebhookDelivery.objects.update(last_error="answered HTTP 500", next_at=now + timedelta(hours=1))
    assert WebhookDelivery.objects.exists()
    return {"zina": zina, "colleague": colleague, "root": tmp_path}


def test_nothing_of_the_person_is_left_anywhere_after_erasure(everywhere, admin_user,
                                                              django_capture_on_commit_callbacks):
    root = everywhere["root"]
    before = traces_in_database()
    assert any("Lead." in line for line in before) and any("IncomingEmail.raw" in line for line in before)
    assert any("Call." in line for line in before) and any("LogEntry" in line for line in before)
    assert traces_on_disk(root)

    with django_capture_on_commit_callbacks(execute=True):
        services.erase_person(person=services.find_person(email=EMAIL), by=admin_user)

    left = traces_in_database() + traces_on_disk(root)
    assert not left, "\n".join(left)
    # Kirill's request and letter stay, only Zina is gone from them.
    kirill = Lead.objects.get(email="kirill@firm.example")
    assert kirill.erased_at is None and kirill.full_name == "Орлов Кирилл"
    letter = IncomingEmail.objects.get(pk=everywhere["colleague"].pk)
    assert letter.from_address == "kirill@firm.example" and letter.lead_id == kirill.pk
    assert "Нужен ламинат, 200 м²" in letter.text
    message = email.message_from_bytes(bytes(letter.raw), policy=email.policy.default)
    assert "Нужен ламинат, 200 м²" in message.get_body(("plain",)).get_content()
    assert message["From"].addresses[0].addr_spec == "kirill@firm.example"
    assert [a.addr_spec for a in message["Reply-To"].addresses] == ["kirill@firm.example"]
    assert any("Нужен ламинат" in r.message for r in Request.objects.filter(lead=kirill))
