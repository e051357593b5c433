"""What realdata4 keeps (other contacts, a checked e-mail, contacts kept as given) is erased and exported too."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.imports import services as imports
from leadflow.imports.models import ImportJob
from leadflow.leads.models import Lead, Request
from leadflow.matching.given_keys import register_given_contacts
from leadflow.privacy import services

pytestmark = pytest.mark.django_db


def test_erasure_clears_the_other_contacts_the_checked_email_and_the_import_warning(tmp_path: Path, head,
                                                                                      admin_user):
    path = tmp_path / "expo.csv"
    path.write_bytes("ФИО;Телефон;E-mail\r\nСергеев Пётр;8-912-ЗВОНИТЬ;petr@gmail.co\r\n".encode("cp1251"))
    job = imports.create_job(upload=path, by=head)
    job = imports.set_mapping(job=job, mapping=job.mapping, source=None, campaign=None, by=head)
    imports.run_import(job)
    lead = Lead.objects.get()
    Lead.objects.filter(pk=lead.pk).update(other_contacts=["+74951234567 ext. 12"], email_checked="petr@gmail.co")
    register_given_contacts()  # a lead stored before its other contacts were keys: the migration matching.0003
    assert Request.objects.get(lead=lead).facts["unreadable"][0]["value"] == "8-912-ЗВОНИТЬ"
    assert "8-912-ЗВОНИТЬ" in ImportJob.objects.get(pk=job.pk).report[0]["warning"]
    person = services.find_person(email="petr@gmail.co")
    exported = services.export_person(person=person, by=admin_user)
    assert exported["rooms"]["leads"]["leads"][0]["other_contacts"] == ["+74951234567 ext. 12"]

    services.erase_person(person=person, by=admin_user)

    lead.refresh_from_db()
    assert (lead.other_contacts, lead.email_checked) == ([], "")
    # the other contact is tombstoned too: the person does not come back through it from a partner or a file
    assert ("+74951234567", "12") in person.phones
    assert Request.objects.get(lead=lead).facts == {}
    assert ImportJob.objects.get(pk=job.pk).report[0]["warning"] == ""


def test_the_contacts_a_request_also_gave_are_erased_and_kept_out(partner, admin_user):
    """A partner sent "ogurcov@example.com; other@example.com": the second address (shown under "Also gave", not
    added to the card) was neither on the erase page nor tombstoned, and the partner brought the erased person back
    with it the same day."""
    from django.test import Client as HttpClient

    def submit(email: str):
        return HttpClient().post("/api/submissions", content_type="application/json", headers={"X-Api-Key": key},
                                 data={"name": "Огурцов Пётр", "email": email, "consent": True})

    _row, key = partner
    assert submit("ogurcov@example.com; other@example.com").status_code == 201
    person = services.find_person(email="ogurcov@example.com")
    assert "other@example.com" in person.emails
    services.erase_person(person=person, by=admin_user)
    again = submit("other@example.com")
    assert again.status_code == 422 and not Lead.objects.exclude(pk__in=person.lead_ids).exists()
