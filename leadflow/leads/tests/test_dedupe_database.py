"""The batch scan of the database: report the same person's cards, merge the sure groups of leads."""

import pytest

from leadflow.leads import services
from leadflow.leads.dedupe import scan
from leadflow.leads.models import Lead
from leadflow.matching.compare import UPPER_DEFAULT

pytestmark = pytest.mark.django_db


def person(first: str, last: str, phone: str = "", email: str = "", **extra: str) -> services.PersonFacts:
    return services.PersonFacts(first_name=first, last_name=last, full_name=f"{last} {first}", phone=phone,
                                email=email, **extra)


def add(sales, facts: services.PersonFacts) -> Lead:
    # Straight through the service (not the pipeline), as an import of old data would leave them.
    return services.create_lead(person=facts, touch=services.Touch(channel="import"), team=sales)


def test_scan_reports_and_merges_the_same_person(sales, admin_user):
    first = add(sales, person("Юлия", "Смирнова", phone="+79161234567"))
    second = add(sales, person("Yulia", "Smirnova", phone="+79161234567", email="yulia@mail.ru"))
    third = add(sales, person("Iuliia", "Smirnova", email="yulia@mail.ru"))
    namesake = add(sales, person("Юлия", "Смирнова", phone="+79035550000", email="smirnova@other.ru"))
    stranger = add(sales, person("John", "Smith", phone="+447911123456"))

    report = scan(threshold=UPPER_DEFAULT)
    groups = [sorted(pk for _, pk in group.members) for group in report.groups]
    assert groups == [[first.pk, second.pk, third.pk]]
    assert report.cards == 5 and Lead.objects.filter(state="merged").count() == 0  # a report changes nothing

    report = scan(threshold=UPPER_DEFAULT, merge_as=admin_user)
    assert report.merged == 2 and report.groups[0].merged_into == first.pk  # the oldest survives
    states = dict(Lead.objects.values_list("pk", "state"))
    assert states == {first.pk: "open", second.pk: "merged", third.pk: "merged", namesake.pk: "open",
                      stranger.pk: "open"}
    first.refresh_from_db()
    assert first.email == "yulia@mail.ru"


def test_a_group_with_a_client_contact_is_left_for_a_person(sales, admin_user, alice):
    lead = add(sales, person("Ivan", "Petrov", phone="+79161112233"))
    services.claim_lead(lead=lead, by=alice)
    services.convert_lead(lead=lead, by=alice)
    again = add(sales, person("Иван", "Петров", phone="+79161112233"))
    report = scan(threshold=UPPER_DEFAULT, merge_as=admin_user)
    assert len(report.groups) == 1 and "client contact" in report.groups[0].note
    assert Lead.objects.get(pk=again.pk).state == "open"


def test_the_command_reports_then_merges(sales, admin_user):
    from io import StringIO

    from django.core.management import CommandError, call_command

    first = add(sales, person("Александр", "Кузнецов", phone="+79161234567"))
    second = add(sales, person("Саша", "Кузнецов", phone="+79161234567"))
    out = StringIO()
    call_command("dedupe", stdout=out)
    assert f"lead#{first.pk}, lead#{second.pk}" in out.getvalue()
    assert "2 cards, 1 groups" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("dedupe", "--merge", stdout=StringIO())
    out = StringIO()
    call_command("dedupe", "--merge", "--as", admin_user.username, stdout=out)
    assert f"merged into lead#{first.pk}" in out.getvalue()
    assert Lead.objects.get(pk=second.pk).merged_into_id == first.pk
