"""Importing existing buyers into the client directory: validated and matched like every submission."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from leadflow.accounts.models import User
from leadflow.clients.models import Client, Company, Contact
from leadflow.imports import services
from leadflow.imports.models import ImportJob, ImportKind
from leadflow.intake.models import Submission
from leadflow.leads.models import Lead, Request
from leadflow.matching.models import CardType, IdentityKey

from .conftest import write_csv

HEADER = ["Компания", "ИНН", "КПП", "ФИО", "Телефон", "E-mail", "Должность"]
VALID_INN = "7707083893"  # Sberbank's INN: correct check digit
OTHER_INN = "7728168971"
ROWS = [
    ["ООО «Ромашка»", OTHER_INN, "772801001", "Сидоров Олег", "+7 916 300-00-01", "oleg@romashka.ru", "директор"],
    ["ООО «Ромашка»", OTHER_INN, "", "Петрова Ольга", "+7 916 300-00-02", "olga@romashka.ru", "бухгалтер"],
    ["ООО Вектор", "1234567890", "", "Иванов Иван", "+7 916 300-00-03", "", ""],  # INN check digit wrong
    ["", "", "", "Кузнецова Анна", "8 916 100-00-02", "", ""],  # the lead below
    ["ПАО Банк", VALID_INN, "", "", "", "", ""],  # the company alone
    ["", "", "", "Сидоров Олег Петрович", "8 916 300 00 01", "", ""],  # row 2 again
    ["", "", "", "", "", "", ""],
    ["", "", "", "", "+7 916 300-00-09", "", ""],  # nothing to name the client by
]


@pytest.fixture
def lead(make_lead: Callable[..., Lead], alice: User) -> Lead:
    return make_lead(owner=alice, first_name="Анна", last_name="Кузнецова", phone="+79161000002",
                     email="anna@example.ru")


def client_job(tmp_path: Path, by: User) -> ImportJob:
    job = services.create_job(upload=write_csv(tmp_path / "clients.csv", [HEADER, *ROWS]), by=by,
                              kind=ImportKind.CLIENTS)
    assert job.mapping == {"0": "company", "1": "inn", "2": "kpp", "3": "name", "4": "phone", "5": "email",
                           "6": "position"}
    return services.set_mapping(job=job, mapping=job.mapping, source=None, campaign=None, by=by)


def test_client_import_dry_run_equals_the_import(tmp_path: Path, head: User, lead: Lead) -> None:
    job = client_job(tmp_path, head)
    dry = services.dry_run(job)
    assert (dry["created"], dry["attached"], dry["invalid"], dry["attached_in_file"]) == (2, 3, 2, 2)
    assert not Client.objects.exists() and not Submission.objects.exists()
    report = {item["row"]: item["detail"] for item in ImportJob.objects.get(pk=job.pk).report}
    assert report[3] == f"the same company (INN {OTHER_INN}) as row 2 above: added to its contacts"
    assert report[4].startswith("INN: INN check digit")
    assert report[5].startswith(f"already lead #{lead.pk}")
    assert report[7] == "the same person as row 2 above"
    assert report[9] == "A client needs a company name, an INN or a person's name."

    real = services.run_import(job)

    assert {k: v for k, v in real.items() if k != "attached_in_file"} == {
        k: v for k, v in dry.items() if k != "attached_in_file"}
    romashka = Company.objects.get(inn=OTHER_INN)
    assert (romashka.name, romashka.legal_form, romashka.kpp) == ("Ромашка", "ООО", "772801001")
    client = Client.objects.get(company=romashka)
    assert sorted(Contact.objects.filter(company=romashka).values_list("phone", flat=True)) == [
        "+79163000001", "+79163000002"]
    assert client.contact.full_name == "Сидоров Олег" and client.owner == head and client.team == head.team
    assert Request.objects.filter(client=client).count() == 2  # row 3 (a colleague) and row 7 (Oleg again)
    assert Client.objects.get(company__inn=VALID_INN).contact is None
    assert Request.objects.filter(lead=lead, channel="import").count() == 1  # the lead stays a lead
    assert Lead.objects.get(pk=lead.pk).state == "open"
    # The new contacts are indexed, so the next web form from Oleg finds his client.
    assert IdentityKey.objects.filter(card_type=CardType.CONTACT, kind="phone", value="+79163000001").exists()
    assert IdentityKey.objects.filter(card_type=CardType.COMPANY, kind="inn", value=OTHER_INN).exists()


def test_client_mapping_needs_a_company_or_a_name(tmp_path: Path, head: User) -> None:
    job = services.create_job(upload=write_csv(tmp_path / "clients.csv", [HEADER, *ROWS]), by=head,
                              kind=ImportKind.CLIENTS)
    from leadflow.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="Some fields"):
        services.set_mapping(job=job, mapping={"4": "phone"}, source=None, campaign=None, by=head)
    services.set_mapping(job=job, mapping={"1": "inn"}, source=None, campaign=None, by=head)


def test_import_command_takes_clients(tmp_path: Path, head: User, lead: Lead) -> None:
    import io

    from django.core.management import call_command

    path = write_csv(tmp_path / "clients.csv", [HEADER, *ROWS])
    out = io.StringIO()
    call_command("import", str(path), "--as", "head", "--kind", "clients", stdout=out, stderr=io.StringIO())
    assert "7 rows: 2 new clients were created, 3 were attached to existing cards" in out.getvalue()
    assert Client.objects.count() == 2


def test_client_import_reads_numbers_typed_in_groups(tmp_path: Path, head: User) -> None:
    rows = [HEADER, ["ПАО Банк", "7707 083893", "773601001", "", "", "", ""],
            ["ООО Вектор", "77О7 083893", "", "", "", "", ""]]  # a Cyrillic О: refused, not read in part
    job = services.create_job(upload=write_csv(tmp_path / "clients.csv", rows), by=head, kind=ImportKind.CLIENTS)
    services.set_mapping(job=job, mapping=job.mapping, source=None, campaign=None, by=head)
    services.dry_run(job)
    report = {item["row"]: item["detail"] for item in ImportJob.objects.get(pk=job.pk).report}
    assert report == {3: "INN: INN must contain only digits"}
    result = services.run_import(job)
    assert (result["created"], result["invalid"]) == (1, 1)
    assert Company.objects.get().inn == VALID_INN
