"""The working calendar in the admin: dates typed in with clear per-field errors, and a country's year of holidays
loaded from the `holidays` package (Russia: holidays, days off moved by decree, Saturdays made working days)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from leadflow.accounts.calendar import load_public_holidays
from leadflow.accounts.models import CalendarDay
from leadflow.core.errors import InvalidInput

pytestmark = pytest.mark.django_db

ADD = "/admin/accounts/calendarday/add/"
LOAD = "/admin/accounts/calendarday/load/"


def _days(**filters) -> dict[date, bool]:  # type: ignore[no-untyped-def]
    return dict(CalendarDay.objects.filter(**filters).values_list("day", "is_working"))


def test_loading_russia_2027_gives_the_production_calendar():
    loaded = load_public_holidays(country="RU", year=2027)
    days = _days(team=None)
    off = {day for day, working in days.items() if not working}
    # New Year holidays, 23 February (and 22, moved from Saturday 20), 8 March, May, 12 June (14), 4-5 November, 31 Dec
    assert {date(2027, 1, day) for day in range(1, 9)} <= off
    assert {date(2027, 2, 22), date(2027, 2, 23), date(2027, 3, 8), date(2027, 5, 3), date(2027, 5, 10),
            date(2027, 6, 14), date(2027, 11, 4), date(2027, 11, 5), date(2027, 12, 31)} <= off
    assert days[date(2027, 2, 20)] is True  # the Saturday made a working day
    assert loaded.created == len(days) == 21
    assert loaded.kept == 0


def test_loading_again_keeps_what_the_admin_changed():
    CalendarDay.objects.create(day=date(2027, 12, 31), is_working=True, shortened_by=120, name="We work till 4")
    loaded = load_public_holidays(country="RU", year=2027)
    assert (loaded.created, loaded.kept) == (20, 1)
    kept = CalendarDay.objects.get(day=date(2027, 12, 31))
    assert (kept.is_working, kept.shortened_by, kept.name) == (True, 120, "We work till 4")
    assert load_public_holidays(country="RU", year=2027) == type(loaded)(created=0, kept=21)


def test_a_team_gets_its_own_country(other_team):
    load_public_holidays(country="KZ", year=2027, team=other_team)
    assert _days(team=None) == {}
    assert _days(team=other_team)[date(2027, 12, 16)] is False  # Kazakhstan's Independence Day


def test_an_unknown_country_or_year_names_the_field():
    with pytest.raises(InvalidInput) as error:
        load_public_holidays(country="XX", year=2027)
    assert list(error.value.fields) == ["country"]
    with pytest.raises(InvalidInput) as error:
        load_public_holidays(country="RU", year=1200)
    assert list(error.value.fields) == ["year"]
    assert not CalendarDay.objects.exists()


def test_the_command_loads_a_year(other_team, capsys):
    call_command("loadholidays", "ru", "2027", "--team", other_team.name)
    assert len(_days(team=other_team)) == 21
    assert "21 dates added" in capsys.readouterr().out
    with pytest.raises(CommandError, match="country"):
        call_command("loadholidays", "XX", "2027")


def test_the_admin_loads_a_year_from_the_calendar_page(client, admin_user, time_machine):
    from datetime import UTC, datetime

    time_machine.move_to(datetime(2026, 11, 24, 12, 0, tzinfo=UTC), tick=False)
    client.force_login(admin_user)
    assert "calendarday/load/" in client.get("/admin/accounts/calendarday/").content.decode()
    page = client.get(LOAD)
    assert page.status_code == 200 and page.context["form"]["year"].value() == 2027  # next year's, offered
    response = client.post(LOAD, {"country": "ru", "year": "2027", "team": ""})
    assert response.status_code == 302
    assert len(_days(team=None)) == 21
    response = client.post(LOAD, {"country": "XX", "year": "1200", "team": ""})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"country", "year"}


def test_a_manager_cannot_load_holidays(client, alice):
    client.force_login(alice)
    assert client.post(LOAD, {"country": "RU", "year": "2027"}).status_code == 302  # to the admin's login
    assert not CalendarDay.objects.exists()


def test_the_admin_form_names_each_problem(client, admin_user, sales):
    client.force_login(admin_user)
    response = client.post(ADD, {"day": "2027-04-30", "is_working": "", "shortened_by": "60", "name": "x"})
    assert response.context["adminform"].form.errors.keys() == {"shortened_by"}
    response = client.post(ADD, {"day": "2027-04-30", "is_working": "on", "shortened_by": "600", "name": "x"})
    assert response.context["adminform"].form.errors.keys() == {"shortened_by"}
    response = client.post(ADD, {"day": "30.13.2027", "shortened_by": "0"})
    assert response.context["adminform"].form.errors.keys() == {"day"}
    assert not CalendarDay.objects.exists()

    assert client.post(ADD, {"day": "2027-04-30", "is_working": "on", "shortened_by": "60",
                             "name": "Pre-holiday"}).status_code == 302
    response = client.post(ADD, {"day": "2027-04-30", "shortened_by": "0", "name": "again"})
    errors = response.context["adminform"].form.errors
    assert errors.keys() == {"day"}
    assert "already in the company" in errors["day"][0]
    # the same date for one team is its own entry
    assert client.post(ADD, {"day": "2027-04-30", "team": sales.pk, "shortened_by": "0"}).status_code == 302
    assert CalendarDay.objects.count() == 2


def test_the_admin_form_speaks_russian(client, admin_user):
    admin_user.language = "ru"
    admin_user.save()
    client.force_login(admin_user)
    response = client.post(ADD, {"day": "2027-04-30", "is_working": "", "shortened_by": "60"},
                           HTTP_ACCEPT_LANGUAGE="ru")
    assert "Сократить можно только рабочий день" in response.context["adminform"].form.errors["shortened_by"][0]
