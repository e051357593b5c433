"""core.prepared.ByPk reads exactly what the QuerySet's get() reads, with the statement compiled once."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from leadflow.leads import services
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db


def _values(obj):  # type: ignore[no-untyped-def]
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_a_read_gives_the_row_and_its_related_rows_as_get_does(make_lead, alice) -> None:  # type: ignore[no-untyped-def]
    lead = make_lead(owner=alice, first_name="Пётр", last_name="Иванов")
    Lead.objects.filter(pk=lead.pk).update(other_contacts=["+79001112233"])  # a JSON column, read back as a list
    expected = Lead.objects.select_related("team", "owner", "stage").get(pk=lead.pk)
    with transaction.atomic():
        for _ in range(2):  # the second read runs the statement the first one compiled
            with CaptureQueriesContext(connection) as queries:
                read = services.locked_lead(lead.pk)
                team, owner, stage = read.team, read.owner, read.stage  # loaded with the card: no statement
            assert len(queries) == 1
            assert _values(read) == _values(expected)  # dates, JSON, booleans converted as the ORM converts them
            assert (_values(team), _values(owner), _values(stage)) == (
                _values(expected.team), _values(expected.owner), _values(expected.stage))
            assert not read._state.adding and read._state.db == "default"
    assert _values(services.read_lead(lead.pk)) == _values(expected)


def test_a_lead_without_owner_reads_with_none_and_a_missing_one_is_none(make_lead) -> None:  # type: ignore[no-untyped-def]
    lead = make_lead()
    assert services.read_lead(lead.pk).owner is None
    assert services.read_lead(lead.pk + 1000) is None
    with transaction.atomic(), pytest.raises(Lead.DoesNotExist):
        services.locked_lead(lead.pk + 1000)


@pytest.mark.skipif(not connection.features.has_select_for_update, reason="SQLite has no row locks")
@pytest.mark.django_db(transaction=True)  # no test transaction around it: autocommit, as outside any atomic block
def test_a_row_lock_outside_a_transaction_is_refused_as_the_orm_refuses_it(make_lead) -> None:  # type: ignore[no-untyped-def]
    lead = make_lead()
    with transaction.atomic():
        services.locked_lead(lead.pk)  # compiled inside a transaction
    with pytest.raises(TransactionManagementError):
        services.locked_lead(lead.pk)
    with pytest.raises(TransactionManagementError):  # what the ORM's own statement says
        Lead.objects.select_for_update().get(pk=lead.pk)
