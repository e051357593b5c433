"""Every admin page's title reads as Russian grammar wants: "Выберите кампанию для изменения", "Добавить кампанию",
not Django's "Выберите кампания для изменения" with the model's name in the nominative (core/admin_titles.py)."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib import admin
from django.test import Client as HttpClient
from django.urls import reverse

from leadflow.accounts.models import User

pytestmark = pytest.mark.django_db

# Each registered model's name as the object of "select" / "add", in Russian: written here by hand, not read from
# the code under test.
ACCUSATIVE = {
    "auth.group": "группу",
    "django_tasks_database.dbtaskresult": "фоновое задание",
    "accounts.user": "пользователя",
    "accounts.team": "команду",
    "accounts.usertoken": "API-токен",
    "accounts.calendarday": "дату календаря",
    "events.outboxevent": "событие исходящей очереди",
    "events.webhook": "вебхук",
    "events.webhookdelivery": "доставку вебхука",
    "marketing.source": "источник",
    "marketing.campaign": "кампанию",
    "marketing.campaignspend": "расходы на кампанию",
    "marketing.extracost": "прочий расход",
    "clients.company": "компанию",
    "clients.contact": "контакт",
    "clients.client": "клиента",
    "clients.deal": "сделку",
    "leads.stage": "этап",
    "leads.lostreason": "причину отказа",
    "leads.routingrule": "правило распределения",
    "leads.lead": "лид",
    "leads.interest": "интерес",
    "leads.request": "обращение",
    "leads.task": "задачу",
    "leads.activity": "действие",
    "intake.form": "форму",
    "intake.submission": "заявку",
    "intake.partner": "партнёра",
    "partners.postback": "постбэк",
    "partners.paidperiod": "оплаченный период",
    "telephony.integration": "интеграцию с телефонией",
    "telephony.call": "звонок",
    "telephony.callevent": "событие звонка",
    "imports.importjob": "импорт",
    "warming.trackingsite": "отслеживаемый сайт",
    "warming.pointsrule": "правило начисления баллов",
    "warming.fitrule": "правило соответствия профилю",
    "warming.pointspolicy": "настройки баллов",
    "warming.behaviourevent": "событие поведения",
    "privacy.consent": "согласие",
    "privacy.erasurelog": "удаление данных",
    "privacy.tombstone": "отметку об удалении",
    "axes.accessattempt": "попытку входа",
    "axes.accesslog": "журнал входа",
    "axes.accessfailurelog": "неудачный вход",
    "inbox.mailbox": "почтовый ящик",
    "inbox.incomingemail": "входящее письмо",
    "scoring.scoringmodel": "модель оценки",
    "nurture.tag": "тег",
    "nurture.segment": "сегмент",
    "nurture.mailtemplate": "шаблон письма",
    "nurture.sequence": "цепочку",
    "nurture.enrollment": "участие в цепочке",
    "nurture.mailmessage": "отправленное письмо",
    "nurture.suppression": "адрес в стоп-листе",
    "nurture.holiday": "дату поздравления",
    "nurture.surveyanswer": "ответ на опрос",
}

# Admins that title their list themselves, on purpose.
OWN_TITLES = {"privacy.erasurelog": "Удаления данных (для удаления используйте «Удалить данные человека»)"}

REGISTERED = sorted(model._meta.label_lower for model in admin.site._registry)


def _heading(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert found, "no heading"
    return html.unescape(found.group(1)).strip()


def _title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found, "no title"
    return html.unescape(found.group(1)).strip()


def test_every_registered_admin_has_its_russian_title_here() -> None:
    """A model admin added later is named here (and in core/admin_titles.py), or this says which."""
    assert sorted(ACCUSATIVE) == REGISTERED


@pytest.mark.parametrize("label", REGISTERED)
def test_the_changelist_and_add_titles_read_right_in_russian(admin_user: User, label: str) -> None:
    model = next(model for model in admin.site._registry if model._meta.label_lower == label)
    name = ACCUSATIVE[label]
    web = HttpClient(HTTP_ACCEPT_LANGUAGE="ru")
    web.force_login(admin_user)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    listing = web.get(url)
    assert listing.status_code == 200
    page = listing.content.decode()
    assert _heading(page) in ({OWN_TITLES[label]} if label in OWN_TITLES else {
        f"Выберите {name} для изменения", f"Выберите {name} для просмотра"})
    assert _title(page).startswith(_heading(page) + " |")

    adding = web.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add"))
    if not admin.site._registry[model].has_add_permission(listing.wsgi_request):
        assert adding.status_code == 403
        assert 'class="addlink">' not in page  # no "Add" button (the side menu's links to other models stay)
        return
    assert adding.status_code == 200
    added = adding.content.decode()
    assert _heading(added) == f"Добавить {name}"
    assert _title(added).startswith(f"Добавить {name} |")
    assert re.search(rf"&rsaquo; Добавить {re.escape(name)}\s*</div>", added)  # the last breadcrumb
    assert re.search(rf'class="addlink">\s*Добавить {re.escape(name)}\s*</a>', page)  # the changelist's button


def test_english_titles_are_unchanged(admin_user: User) -> None:
    web = HttpClient(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(admin_user)
    assert _heading(web.get("/admin/marketing/campaign/").content.decode()) == "Select campaign to change"
    assert _heading(web.get("/admin/marketing/campaign/add/").content.decode()) == "Add campaign"
    assert _heading(web.get("/admin/clients/client/").content.decode()) == "Select client to change"


def test_a_change_page_is_titled_with_the_accusative_too(admin_user: User) -> None:
    from leadflow.marketing.models import Campaign, Source

    source = Source.objects.create(name="Яндекс Директ")
    campaign = Campaign.objects.create(name="Весна", utm_campaign="spring", source=source)
    web = HttpClient(HTTP_ACCEPT_LANGUAGE="ru")
    web.force_login(admin_user)
    page = web.get(reverse("admin:marketing_campaign_change", args=[campaign.pk])).content.decode()
    assert _title(page).startswith("Весна | Изменить кампанию |")
