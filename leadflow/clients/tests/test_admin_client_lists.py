"""The admin's client, contact and user lists read each row's company, owner, team and lead in the page's query.

Their relations may be empty, and Django's own select_related() skips such foreign keys: each row took four more
queries (28 for the demo's 5 clients, a few hundred for a page of 100), under the general test's ceiling only
because the demo has few clients."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadflow.leads import services

pytestmark = pytest.mark.django_db


def queries_for(admin_client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/admin/clients/client/", "/admin/clients/contact/", "/admin/accounts/user/"])
def test_more_rows_take_no_more_queries(admin_client, make_lead, alice, bob, url: str) -> None:
    def convert_one(owner) -> None:
        services.convert_lead(lead=make_lead(owner=owner), by=owner,
                              company=services.CompanyFacts(name=f"Ромашка {owner.username}", legal_form="ООО"))

    convert_one(alice)
    few = queries_for(admin_client, url)
    for owner in (alice, bob, bob, alice):
        convert_one(owner)
    from leadflow.accounts.models import Role, User

    for n in range(4):
        User.objects.create_user(username=f"manager{n}", password="pw", role=Role.MANAGER, team=alice.team)
    assert queries_for(admin_client, url) == few
