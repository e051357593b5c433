"""Fixtures of the client tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from leadflow.accounts.models import Role, Team, User


@pytest.fixture
def stranger(bob: User, carol: User, other_team: Team) -> Callable[[str], User]:
    """Someone who may not work Alice's client, by name: bob (her teammate), carol (another team's manager),
    other_head (another team's head) or marketer."""

    def named(who: str) -> User:
        if who == "bob":
            return bob
        if who == "carol":
            return carol
        if who == "other_head":
            head = User.objects.create_user(username="olga", password="pw", role=Role.HEAD, team=other_team)
            other_team.head = head
            other_team.save()
            return head
        return User.objects.create_user(username="mary", password="pw", role=Role.MARKETER)

    return named


STRANGERS = ["bob", "carol", "other_head", "marketer"]
