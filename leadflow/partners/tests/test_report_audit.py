"""The partner report against what was paid for: one client earns one payout, whatever merges came before."""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from leadflow.intake.models import Partner, PayoutModel, Submission, SubmissionStatus
from leadflow.leads import services
from leadflow.leads.merging import merge_leads
from leadflow.leads.models import Lead
from leadflow.partners.postbacks import accepted_submission
from leadflow.partners.report import partner_report
from leadflow.partners.tests.conftest import submit

pytestmark = pytest.mark.django_db
MOSCOW = ZoneInfo("Europe/Moscow")


def report_for(partners):
    today = timezone.now().astimezone(MOSCOW).date()
    return partner_report(partners=partners, start=date(today.year, today.month, 1), end=today, period="month",
                          zone=MOSCOW)


def test_two_cards_of_one_person_merged_and_converted_earn_one_client(head, sales):
    # A dealer paid 1,000.50 per client sent the same man twice with different phones: two cards (the second only
    # a possible duplicate). The head merges them and the man becomes a client: 1 conversion, 1,000.50 due, once.
    dealer = Partner.objects.create(name="Dealer", team=sales, payout_model=PayoutModel.PER_CLIENT,
                                    price_per_client=Decimal("1000.50"))
    key = dealer.issue_key()
    assert submit(key, {"name": "Павел Орлов", "phone": "+79161110005"}).status_code == 201
    assert submit(key, {"name": "Павел Орлов", "phone": "+79161110006"}).status_code == 201
    first, second = Lead.objects.order_by("pk")
    merge_leads(survivor=first, others=[second], by=head)
    services.convert_lead(lead=Lead.objects.get(pk=first.pk), by=head)
    assert Submission.objects.filter(lead=first, status=SubmissionStatus.CREATED).count() == 2  # both moved

    # The second card was the same man again: once merged, a duplicate (not an accepted lead), as it would have been
    # had his phone matched on arrival.
    (row,) = report_for(Partner.objects.all()).rows
    assert (row.submitted, row.accepted, row.duplicates, row.converted, row.amount_due) == (
        2, 1, 1, 1, Decimal("1000.50"))
    # The one that earns is the one the postbacks report the conversion for.
    assert accepted_submission(first.pk).pk == Submission.objects.filter(lead=first).order_by("pk").first().pk


def test_of_two_partners_sending_one_person_the_first_earns_the_client(head, sales):
    # Partner A sent Pavel first, partner B then sent him with another phone (a second card); merged and converted:
    # the conversion is A's (the submission the postback goes to), not both partners'.
    first_partner = Partner.objects.create(name="A", team=sales, payout_model=PayoutModel.PER_CLIENT,
                                           price_per_client=Decimal("700"))
    second_partner = Partner.objects.create(name="B", team=sales, payout_model=PayoutModel.PER_CLIENT,
                                            price_per_client=Decimal("900"))
    submit(first_partner.issue_key(), {"name": "Павел Орлов", "phone": "+79161110005"})
    submit(second_partner.issue_key(), {"name": "Павел Орлов", "phone": "+79161110006"})
    first, second = Lead.objects.order_by("pk")
    merge_leads(survivor=second, others=[first], by=head)
    services.convert_lead(lead=Lead.objects.get(pk=second.pk), by=head)

    # B sent a person A had already brought: a duplicate once the cards are merged, as on arrival had he matched.
    rows = {row.partner: (row.accepted, row.duplicates, row.converted, row.amount_due)
            for row in report_for(Partner.objects.all()).rows}
    assert rows == {"A": (1, 0, 1, Decimal("700.00")), "B": (0, 1, 0, Decimal("0.00"))}


def test_a_head_in_london_sees_the_months_the_partner_sees(client, head, partner, time_machine):
    # Accepted at 00:30 Moscow on 1 November (21:30 in London on 31 October), price 150 per lead: November's, on
    # the head's page (whatever the head's own zone) as in the partner's own report.
    from datetime import datetime

    from leadflow.partners.tests.test_partner_report import rows_of

    row, key = partner
    Partner.objects.filter(pk=row.pk).update(price_per_lead=Decimal("150"))
    time_machine.move_to(datetime(2026, 11, 1, 0, 30, tzinfo=MOSCOW), tick=False)
    assert submit(key, {"name": "Иван Петров", "phone": "+79161110001"}).status_code == 201
    time_machine.move_to(datetime(2026, 11, 20, 12, 0, tzinfo=MOSCOW), tick=False)
    head.time_zone = "Europe/London"
    head.save()
    client.force_login(head)
    page = client.get("/partners/", {"start": "2026-10-01", "end": "2026-11-30", "period": "month", "format": "csv"})
    assert [r[0] for r in rows_of(page)[1:-1]] == ["2026-11-01"]
    own = client.get("/api/partner/report", {"start": "2026-10-01", "end": "2026-11-30"}, headers={"X-Api-Key": key})
    assert [(r["period"], Decimal(r["amount_due"])) for r in own.json()["rows"]] == [("2026-11-01", Decimal("150"))]
    html = client.get("/partners/", {"start": "2026-10-01", "end": "2026-11-30"}).content.decode()
    assert "Europe/Moscow" in html and "price in force when each lead was accepted" in html
