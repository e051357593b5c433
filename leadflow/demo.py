"""Demo data: two teams, their people, sources, a form, a partner and ~60 leads with a history.

Every lead enters through the intake pipeline (`receive(Inbound(...))`), exactly as a real one
would: journaled, normalised, matched, routed. Then the managers work them through the services:
claims, calls, stages, refusals, a deferral, conversions into clients, tasks for today. The worked leads' stories
are then dated over the last eight weeks (_backdate), so the reports show a company at work, while the shared pool,
the leads not called yet and today's tasks stay today's.
The build is deterministic (a seeded random) apart from the keys, which are secrets.
"""

from __future__ import annotations

import math
import random
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from leadflow.accounts.models import Role, RoutingScheme, Team, User
from leadflow.clients.models import Client
from leadflow.core.worktime import add_working_minutes
from leadflow.intake.models import Form, Partner, Submission
from leadflow.intake.pipeline import Inbound, Outcome, receive
from leadflow.leads import routing_setup, services
from leadflow.leads.models import (
    ActivityKind,
    Channel,
    Lead,
    LeadState,
    LostReason,
    RoutingRule,
    RoutingStrategy,
    Stage,
    Task,
    TaskKind,
)
from leadflow.leads.routing import team_calendar
from leadflow.marketing.models import Campaign, Source

DEMO_PASSWORD = "leadflow"  # noqa: S105  (printed for everyone: it is demo data)
DEMO_ZONE = "Europe/Moscow"
SEED = 20250301

# (username, role, team key, first name, last name)
STAFF = [
    ("head", Role.HEAD, "moscow", "Елена", "Головина"),
    ("alice", Role.MANAGER, "moscow", "Алиса", "Смирнова"),
    ("bob", Role.MANAGER, "moscow", "Борис", "Кузнецов"),
    ("carol", Role.MANAGER, "wholesale", "Carol", "White"),
    ("dave", Role.MANAGER, "wholesale", "Dave", "Miller"),
    ("mary", Role.MARKETER, "moscow", "Мария", "Маркова"),
]
DEMO_USERNAMES = ["admin", *(row[0] for row in STAFF)]

# Open every day, 00:00-23:59:59, so routing, the pool and the SLA clock behave the same
# whatever hour someone runs the demo (real teams keep their office hours).
ALWAYS_OPEN: dict[str, Any] = {"work_start": time(0, 0), "work_end": time(23, 59, 59), "work_days": list(range(7))}

SOURCES = [  # name, utm_source, medium
    ("Google Ads", "google", "cpc"),
    ("Яндекс Директ", "yandex", "cpc"),
    ("Facebook", "facebook", "social"),
    ("ВКонтакте", "vk", "social"),
    ("Партнёры (CPA)", "partner", "cpa"),
    ("Выставки", "exhibition", "offline"),
]
CAMPAIGNS = [  # name, utm_campaign, utm_source, budget
    ("Яндекс: кофемашины, поиск", "yandex_coffee_search", "yandex", 120_000),
    ("Google Ads: packaging lines", "google_packaging", "google", 90_000),
    ("ВКонтакте: ретаргетинг", "vk_retarget", "vk", 40_000),
    ("Facebook: HoReCa", "fb_horeca", "facebook", 30_000),
    ("Выставка «Упаковка-2025»", "expo_upakovka", "exhibition", 250_000),
]

COFFEE, FRIDGE, SERVICE = "Кофемашины", "Холодильное оборудование", "Сервисное обслуживание"
PACKING, FILLING = "Упаковочные линии", "Фасовочное оборудование"


@dataclass
class Person:
    """One person's first submission; `sender` says which channel brings it."""

    key: str
    sender: str  # web | wholesale | partner | email | phone | carol | dave
    name: str
    phone: str = ""  # Russian: 10 national digits, written in a random notation; else as given
    email: str = ""
    company: str = ""
    position: str = ""
    city: str = ""
    product: str = ""
    deal: str = ""
    message: str = ""
    utm: tuple[str, str] = ("", "")  # utm_source, utm_campaign
    region: str = ""


PEOPLE = [
    # Website form: the Moscow team's shared pool.
    Person(
        "ivanov",
        "web",
        "Иванов Иван Иванович",
        "9164507832",
        "ivan.ivanov@example.ru",
        city="Москва",
        product=COFFEE,
        deal="retail",
        message="Нужна кофемашина на 2 группы для небольшой кофейни.",
        utm=("yandex", "yandex_coffee_search"),
    ),
    Person(
        "kozlova",
        "web",
        "Козлова Мария Сергеевна",
        "9031112233",
        "kozlova@vektor.example.ru",
        company="ООО «Вектор»",
        position="Генеральный директор",
        city="Москва",
        product=COFFEE,
        deal="wholesale",
        message="Открываем три точки, нужен расчёт на 3 машины и сервис.",
        utm=("google", ""),
    ),
    Person(
        "sidorova",
        "web",
        "СИДОРОВА анна",
        "9165550142",
        city="Москва",
        product=FRIDGE,
        deal="retail",
        message="Витринный холодильник для кондитерской, срочно.",
        utm=("vk", "vk_retarget"),
    ),
    Person(
        "orlov",
        "web",
        "Орлов Дмитрий",
        "9857770011",
        "d.orlov@example.ru",
        city="Москва",
        product=COFFEE,
        message="Сколько стоит аренда кофемашины?",
        utm=("yandex", "yandex_coffee_search"),
    ),
    Person(
        "kravtsov",
        "web",
        "Кравцов Андрей Николаевич",
        "9262223344",
        "kravtsov.an@example.ru",
        company="ИП Кравцов А.Н.",
        city="Подольск",
        product=COFFEE,
        deal="retail",
        message="Кофейня у вокзала, хочу суперавтомат и обучение бариста.",
        utm=("facebook", "fb_horeca"),
    ),
    Person(
        "smith",
        "web",
        "John Smith",
        "+44 7911 123456",
        "john.smith@example.com",
        city="London",
        product=COFFEE,
        message="Looking for two espresso machines for our Moscow office.",
        utm=("google", ""),
    ),
    Person(
        "belova",
        "web",
        "Белова Ольга Петровна",
        "9094445566",
        "olga.belova@example.ru",
        city="Химки",
        product=FRIDGE,
        message="Нужна холодильная камера для склада, 20 м³.",
        utm=("yandex", ""),
    ),
    Person(
        "nikitin",
        "web",
        "Никитин Павел",
        "9672001020",
        city="Москва",
        product=SERVICE,
        message="Сервисный договор на 4 кофемашины La Marzocco.",
        utm=("vk", ""),
    ),
    Person(
        "clarke",
        "web",
        "Emily Clarke",
        "(415) 555-0199",
        "emily.clarke@example.org",
        city="San Francisco",
        product=COFFEE,
        message="Do you ship to the US? Need a quote for a bean-to-cup machine.",
        utm=("google", ""),
        region="US",
    ),
    Person(
        "fedorov",
        "web",
        "Федоров Алексей",
        "9251234500",
        "a.fedorov@example.ru",
        city="Москва",
        product=COFFEE,
        deal="retail",
        message="Перезвоните после 18:00, пожалуйста.",
        utm=("yandex", "yandex_coffee_search"),
    ),
    Person(
        "morozova",
        "web",
        "Морозова Екатерина",
        "9778889900",
        "kate.morozova@example.ru",
        city="Москва",
        product=FRIDGE,
        message="Льдогенератор для бара, какие сроки поставки?",
        utm=("facebook", "fb_horeca"),
    ),
    Person(
        "volkova",
        "web",
        "Волкова Наталья Игоревна",
        "9161112200",
        "volkova.n@example.ru",
        company="ООО «Пекарня на Садовой»",
        position="Управляющая",
        city="Москва",
        product=FRIDGE,
        message="Шкафы шоковой заморозки, 2 шт.",
        utm=("yandex", ""),
    ),
    Person(
        "lebedev",
        "web",
        "Лебедев Кирилл",
        "9033004050",
        city="Зеленоград",
        product=COFFEE,
        message="Б/у кофемашины есть?",
        utm=("vk", "vk_retarget"),
    ),
    Person(
        "garcia",
        "web",
        "Maria Garcia",
        "+1 212 555 0175",
        "maria.garcia@example.com",
        city="New York",
        product=SERVICE,
        message="Maintenance contract for our coffee bar in Moscow.",
        utm=("facebook", ""),
    ),
    Person(
        "zaitsev",
        "web",
        "Зайцев Роман",
        "9604443322",
        "roman.zaitsev@example.ru",
        city="Москва",
        product=COFFEE,
        message="Интересует кофемашина в офис на 30 человек.",
        utm=("google", ""),
    ),
    Person(
        "pavlova",
        "web",
        "Павлова Ирина",
        "9998887766",
        "pavlova.irina@example.ru",
        city="Реутов",
        product=FRIDGE,
        deal="retail",
        message="Холодильный стол для пиццерии.",
        utm=("yandex", ""),
    ),
    Person(
        "sokolov",
        "web",
        "Соколов Артём Валерьевич",
        "9154321098",
        "a.sokolov@example.ru",
        company="ООО «Кофе Бразерс»",
        position="Совладелец",
        city="Москва",
        product=COFFEE,
        deal="wholesale",
        message="Сеть из 5 кофеен, хотим обновить парк машин.",
        utm=("google", ""),
    ),
    Person(
        "egorova",
        "web",
        "Егорова Светлана",
        "9052223311",
        city="Москва",
        product=SERVICE,
        message="Кофемашина течёт, нужен мастер.",
        utm=("", ""),
    ),
    # Partner (CPA network): the Moscow team too; the partner is paid per accepted lead only.
    Person(
        "kuzmin",
        "partner",
        "Кузьмин Олег",
        "9187654321",
        "oleg.kuzmin@example.ru",
        city="Москва",
        product=COFFEE,
        message="Заявка с сайта-агрегатора: кофемашина для автосервиса.",
    ),
    Person(
        "romanova",
        "partner",
        "Романова Дарья",
        "9641239876",
        city="Люберцы",
        product=FRIDGE,
        message="Морозильный ларь, 2 шт.",
    ),
    Person(
        "taylor",
        "partner",
        "Taylor, James",
        "+1 617 555 0134",
        "james.taylor@example.com",
        city="Boston",
        product=COFFEE,
        message="Franchise coffee kiosk, need 3 machines.",
    ),
    Person(
        "grigoriev",
        "partner",
        "Григорьев Максим",
        "9275556677",
        "grigoriev.m@example.ru",
        city="Москва",
        product=SERVICE,
        message="Обслуживание холодильного оборудования в 2 магазинах.",
    ),
    Person(
        "antonova",
        "partner",
        "Антонова Виктория",
        "9809991122",
        city="Мытищи",
        product=COFFEE,
        message="Капсульная машина для салона красоты.",
    ),
    # E-mail and phone: the default team (Moscow).
    Person(
        "makarov",
        "email",
        "Макаров Николай",
        "",
        "n.makarov@example.ru",
        city="Москва",
        product=COFFEE,
        message="Добрый день! Пришлите, пожалуйста, прайс на профессиональные кофемолки.",
    ),
    Person(
        "brown",
        "email",
        "Oliver Brown",
        "",
        "oliver.brown@example.co.uk",
        city="Moscow",
        product=FRIDGE,
        message="Hello, could you send a quote for a display fridge? Best, Oliver",
    ),
    Person(
        "frolova",
        "email",
        "Фролова Татьяна",
        "",
        "t.frolova@example.ru",
        company="ООО «Домашняя кухня»",
        city="Москва",
        product=FRIDGE,
        message="Просим КП на холодильное оборудование для столовой.",
    ),
    Person(
        "denisov",
        "phone",
        "Денисов Виктор",
        "9121110099",
        city="Москва",
        product=COFFEE,
        message="Звонок: спрашивал про рассрочку на кофемашину.",
    ),
    Person(
        "yakovleva",
        "phone",
        "Яковлева Елена",
        "9263334455",
        city="Москва",
        product=SERVICE,
        message="Звонок: нужна профилактика кофемашины.",
    ),
    # Wholesale price-list form: the Wholesale team, routed by rules.
    Person(
        "severpak",
        "wholesale",
        "Андреев Михаил Юрьевич",
        "9217001122",
        "m.andreev@severpak.example.ru",
        company="АО «СеверПак»",
        position="Главный инженер",
        city="Санкт-Петербург",
        product=PACKING,
        deal="wholesale",
        message="Нужна линия флоупак, 60 упаковок в минуту.",
        utm=("google", "google_packaging"),
    ),
    Person(
        "podmoskovnye",
        "wholesale",
        "Тихонова Людмила Андреевна",
        "9167778899",
        "tikhonova@podmoskovnye.example.ru",
        company="ООО «Подмосковные продукты»",
        position="Руководитель закупок",
        city="Химки",
        product=FILLING,
        deal="wholesale",
        message="Фасовка круп 0,5–5 кг, интересует полуавтомат.",
    ),
    Person(
        "ferma",
        "wholesale",
        "Сергеев Игорь",
        "9107776655",
        "sergeev.farm@example.ru",
        company="КФХ Сергеев И.В.",
        city="Тула",
        product=FILLING,
        deal="wholesale",
        message="Фасовка мёда, но бюджет будет только после сезона.",
    ),
    Person(
        "wilson",
        "wholesale",
        "Robert Wilson",
        "+1 312 555 0188",
        "r.wilson@example.com",
        company="Wilson Foods LLC",
        position="COO",
        city="Chicago",
        product=PACKING,
        deal="wholesale",
        message="Considering a shrink-wrap line for our Russian plant.",
        utm=("google", "google_packaging"),
    ),
    Person(
        "gusev",
        "wholesale",
        "Гусев Станислав",
        "9031237788",
        "s.gusev@example.ru",
        company="ООО «ТехноПласт»",
        city="Казань",
        product=PACKING,
        deal="wholesale",
        message="Термоусадочный туннель, нужна консультация технолога.",
    ),
    Person(
        "kiseleva",
        "wholesale",
        "Киселева Юлия",
        "9858765432",
        "kiseleva.y@example.ru",
        company="ООО «Чайная компания»",
        city="Москва",
        product=FILLING,
        deal="wholesale",
        message="Фасовка чая в пирамидки.",
    ),
    Person(
        "muller",
        "wholesale",
        "Anna Müller",
        "+49 30 901820",
        "anna.mueller@example.org",
        company="Müller Verpackung GmbH",
        city="Berlin",
        product=PACKING,
        deal="wholesale",
        message="Dealer enquiry for the Russian market. Personal e-mail above.",
    ),
    Person(
        "stepanov",
        "wholesale",
        "Степанов Георгий",
        "9153806412",
        "stepanov.g@example.ru",
        city="Рязань",
        product=FILLING,
        deal="wholesale",
        message="Дозатор для жидкостей, 2 линии.",
    ),
    Person(
        "nikolaeva",
        "wholesale",
        "Николаева Вера",
        "9854561237",
        "v.nikolaeva@example.ru",
        company="ООО «Снэк-Фабрика»",
        city="Владимир",
        product=PACKING,
        deal="wholesale",
        message="Упаковка чипсов, вертикальная машина.",
        utm=("google", "google_packaging"),
    ),
    Person(
        "baranov",
        "wholesale",
        "Баранов Евгений",
        "9261237654",
        "baranov.e@example.ru",
        city="Тверь",
        product=FILLING,
        deal="wholesale",
        message="Нужен счёт на весовой дозатор.",
    ),
    Person(
        "jones",
        "wholesale",
        "Sarah Jones",
        "+44 20 7946 0958",
        "sarah.jones@example.co.uk",
        company="Jones Packaging Ltd",
        city="London",
        product=PACKING,
        deal="wholesale",
        message="Spare parts and a second line, please call me back.",
    ),
    Person(
        "polyakov",
        "wholesale",
        "Поляков Андрей",
        "9011234455",
        "polyakov@example.ru",
        city="Москва",
        product=PACKING,
        deal="wholesale",
        message="Сравниваем с китайскими линиями, пришлите КП.",
    ),
    # Met at the exhibition, entered by hand by the Wholesale managers.
    Person(
        "vasiliev",
        "carol",
        "Васильев Пётр Ильич",
        "9164445566",
        "p.vasiliev@example.ru",
        company="ООО «Мясной двор»",
        position="Технолог",
        city="Москва",
        product=PACKING,
        deal="wholesale",
        message="Выставка «Упаковка-2025», стенд B12: вакуумная упаковка.",
        utm=("exhibition", "expo_upakovka"),
    ),
    Person(
        "karpova",
        "carol",
        "Карпова Алина",
        "9037894561",
        "a.karpova@example.ru",
        city="Ярославль",
        product=FILLING,
        deal="wholesale",
        message="Выставка: фасовка специй.",
        utm=("exhibition", "expo_upakovka"),
    ),
    Person(
        "ward",
        "dave",
        "Thomas Ward",
        "+44 7812 345678",
        "thomas.ward@example.com",
        city="Manchester",
        product=PACKING,
        deal="wholesale",
        message="Met at the fair: cartoning machine.",
        utm=("exhibition", "expo_upakovka"),
    ),
    Person(
        "zhukov",
        "dave",
        "Жуков Семён",
        "9151239900",
        "zhukov.s@example.ru",
        company="ООО «АгроПак»",
        city="Воронеж",
        product=PACKING,
        deal="wholesale",
        message="Выставка: мешкозашивочная машина.",
        utm=("exhibition", "expo_upakovka"),
    ),
    Person(
        "medvedeva",
        "dave",
        "Медведева Ксения",
        "9269998877",
        "k.medvedeva@example.ru",
        city="Москва",
        product=FILLING,
        deal="wholesale",
        message="Выставка: дой-пак, 200 г.",
        utm=("exhibition", "expo_upakovka"),
    ),
    # More of the Moscow pool, to make it look lived in.
    Person(
        "alekseev",
        "web",
        "Алексеев Тимур",
        "9682345678",
        "t.alekseev@example.ru",
        city="Москва",
        product=COFFEE,
        message="Кофемашина для АЗС.",
        utm=("yandex", "yandex_coffee_search"),
    ),
    Person(
        "nazarova",
        "web",
        "Назарова Полина",
        "9095678901",
        "polina.n@example.ru",
        city="Москва",
        product=FRIDGE,
        message="Пивоохладитель для бара.",
        utm=("vk", "vk_retarget"),
    ),
    Person(
        "tarasov",
        "web",
        "Тарасов Глеб",
        "9170001122",
        city="Балашиха",
        product=COFFEE,
        message="Перезвоните, выбираем между двумя моделями.",
        utm=("yandex", ""),
    ),
    Person(
        "white_j",
        "web",
        "Jessica White",
        "+1 202 555 0143",
        "jessica.white@example.com",
        city="Washington",
        product=SERVICE,
        message="Service for the embassy canteen equipment.",
        utm=("google", ""),
    ),
    Person(
        "ershov",
        "web",
        "Ершов Владислав",
        "9031472583",
        "v.ershov@example.ru",
        city="Москва",
        product=COFFEE,
        message="Кофемашина для коворкинга, 50 чашек в день.",
        utm=("yandex", ""),
    ),
    Person(
        "shevchenko",
        "web",
        "Шевченко Оксана",
        "9265874123",
        city="Одинцово",
        product=FRIDGE,
        message="Холодильный шкаф со стеклянной дверью.",
        utm=("vk", "vk_retarget"),
    ),
    Person(
        "martin",
        "web",
        "Claire Martin",
        "+33 6 12 34 56 78",
        "claire.martin@example.org",
        city="Paris",
        product=COFFEE,
        message="Opening a French bakery in Moscow: coffee equipment quote please.",
        utm=("facebook", "fb_horeca"),
    ),
    Person(
        "komarov",
        "partner",
        "Комаров Илья",
        "9161597534",
        "komarov.i@example.ru",
        city="Москва",
        product=COFFEE,
        message="Кофемашина в шиномонтаж, недорогая.",
    ),
    Person(
        "lukina",
        "email",
        "Лукина Марина",
        "",
        "m.lukina@example.ru",
        city="Москва",
        product=SERVICE,
        message="Здравствуйте! Нужен договор на обслуживание трёх кофемашин. Марина Лукина",
    ),
    Person(
        "osipova",
        "phone",
        "Осипова Анастасия",
        "9094561230",
        city="Москва",
        product=FRIDGE,
        message="Звонок: ищет б/у холодильную витрину.",
    ),
    Person(
        "kovalev",
        "wholesale",
        "Ковалев Денис",
        "+375 29 765-43-21",
        "d.kovalev@example.org",
        company="ООО «БелПак»",
        city="Минск",
        product=PACKING,
        deal="wholesale",
        message="Ищем поставщика для дилерства в Беларуси.",
    ),
    Person(
        "akhmetova",
        "wholesale",
        "Ахметова Динара",
        "+7 701 123 45 67",
        "d.akhmetova@example.org",
        company="ТОО «Дала Фуд»",
        city="Алматы",
        product=FILLING,
        deal="wholesale",
        message="Фасовка сухофруктов, поставка в Казахстан.",
    ),
    Person(
        "bogdanov",
        "wholesale",
        "Богданов Руслан",
        "9857531598",
        "r.bogdanov@example.ru",
        company="ООО «ФармаПак»",
        city="Обнинск",
        product=PACKING,
        deal="wholesale",
        message="Блистерная упаковка, нужна консультация.",
        utm=("google", "google_packaging"),
    ),
    Person(
        "fomin",
        "carol",
        "Фомин Николай",
        "9013216549",
        "n.fomin@example.ru",
        company="ООО «Молочный край»",
        city="Вологда",
        product=FILLING,
        deal="wholesale",
        message="Выставка: розлив молока в пакеты.",
        utm=("exhibition", "expo_upakovka"),
    ),
    Person(
        "krylova",
        "partner",
        "Крылова Вероника",
        "9853214567",
        "veronika.k@example.ru",
        city="Москва",
        product=FRIDGE,
        message="Холодильная витрина для цветочного салона.",
    ),
]

# People who write again, the phone or e-mail written another way: the request joins their card.
REPEATS = [
    Person("ivanov", "email", "Иван Иванов", "8 (916) 450 78 32", "", message="Повторно: когда пришлёте расчёт?"),
    Person(
        "smith",
        "partner",
        "Smith John",
        "",
        "John.Smith@Example.com",
        message="Duplicate from the CPA network: the same person.",
    ),
    Person("sidorova", "phone", "Анна Сидорова", "+7 916 555-01-42", message="Звонок: ещё раз про витрину."),
    Person(
        "severpak",
        "web",
        "Михаил Андреев",
        "8-921-700-11-22",
        "",
        company="АО СеверПак",
        message="Уточните срок поставки линии.",
        utm=("google", "google_packaging"),
    ),
    Person("wilson", "email", "Bob Wilson", "", "R.Wilson@example.com", message="Any news on the quote?"),
]
# After conversion: a buyer writes again and the request lands on the client card.
CLIENT_REPEATS = [
    Person(
        "kozlova",
        "web",
        "Мария Козлова",
        "+7 903 111 22 33",
        "",
        message="Хотим ещё одну машину в новую точку.",
        utm=("yandex", ""),
    )
]
# Attention without a concrete person, a role mailbox, a hidden number: interests, not leads.
INTERESTS = [
    Person(
        "romashka",
        "phone",
        "Марина",
        "+7 (495) 123-45-67",
        company="ООО «Ромашка»",
        message="Звонок секретаря: просили перезвонить на общий номер.",
    ),
    Person("guest", "web", "Гость", message="А сколько стоит доставка в Казань?", utm=("vk", "")),
    Person(
        "rolebox",
        "email",
        "Отдел снабжения",
        "",
        "info@stroymarket.example.ru",
        message="Пришлите каталог на общую почту.",
    ),
    Person("hidden", "phone", "", message="Звонок со скрытого номера, не представились."),
]
# ...and the person behind the switchboard calls back with an extension: now it is a lead.
LATE = [
    Person(
        "volkov",
        "phone",
        "Волков Сергей",
        "+7 (495) 123-45-67 доб. 204",
        "",
        company="ООО «Ромашка»",
        position="Закупщик",
        product=FRIDGE,
        message="Перезвонил сам, добавочный 204.",
    )
]
SPAM = {
    "name": "Best SEO",
    "message": "Cheap backlinks http://spam.example.com http://spam.example.net",
    "website_url": "http://spam.example.com",
}
INVALID = {"name": "Тест Тестович", "phone": "12-34", "email": "not-an-address@", "message": "опечатка в форме"}

# Fictional companies with real-format numbers: the check digits are right (clients.validators).
COMPANIES = {
    "kozlova": services.CompanyFacts(
        name="Вектор",
        legal_form="ООО",
        inn="7707526016",
        kpp="770701001",
        ogrn="1177746099607",
        legal_address="125009, Москва, ул. Тверская, д. 9, оф. 12",
    ),
    "severpak": services.CompanyFacts(
        name="СеверПак",
        legal_form="АО",
        inn="7814815904",
        kpp="781401001",
        ogrn="1127847308247",
        legal_address="197374, Санкт-Петербург, Приморский пр., д. 54",
    ),
    "podmoskovnye": services.CompanyFacts(
        name="Подмосковные продукты",
        legal_form="ООО",
        inn="5047830165",
        kpp="504701001",
        ogrn="1165047628195",
        legal_address="141400, Московская обл., Химки, ул. Заводская, д. 3",
    ),
    # A sole trader: a 12-digit INN, a 15-digit OGRNIP and no KPP.
    "kravtsov": services.CompanyFacts(
        name="Кравцов Андрей Николаевич",
        legal_form="ИП",
        inn="773160913939",
        ogrn="321774693518192",
        legal_address="142100, Подольск, ул. Ленина, д. 1",
    ),
}
CLAIMS = {
    "kozlova": "alice",
    "kravtsov": "bob",
    "orlov": "alice",
    "brown": "bob",
    "fedorov": "alice",
    "volkova": "bob",
    "sokolov": "alice",
}
REFUSALS = [  # key, reason, note
    ("orlov", "Too expensive", "Аренда дороже, чем у конкурента на 15 %. Отправлено письмо с опросом."),
    ("brown", "Chose a competitor", "Bought a used fridge elsewhere. Farewell e-mail sent."),
    ("polyakov", "No budget now", "Бюджет заморожен до следующего года."),
]
DEFERRAL = ("ferma", 45, "Вернуться после сезона мёда, бюджет появится осенью.")


@dataclass
class DemoResult:
    """What the demo built, with the keys to show once."""

    created: bool
    form_keys: dict[str, str] = field(default_factory=dict)
    partner_name: str = ""
    partner_key: str = ""
    counts: dict[str, int] = field(default_factory=dict)


def demo_present() -> bool:
    """The demo staff exist already: building again would only add noise."""
    return User.objects.filter(username__in=[row[0] for row in STAFF]).exists()


def build_demo() -> DemoResult:
    """Build the demo once; later calls change nothing and say so."""
    if demo_present():
        return DemoResult(
            created=False,
            form_keys=dict(
                Form.objects.filter(slug__in=["website", "wholesale-price"]).values_list("slug", "public_key")
            ),
            counts=_counts(),
        )
    with transaction.atomic():
        result = _Builder(random.Random(SEED)).build()
    result.counts = _counts()
    return result


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "leads": Lead.objects.count(),
        "clients": Client.objects.count(),
        "submissions": Submission.objects.count(),
        "open tasks": Task.objects.open().count(),
    }


def write_phone(national: str, rng: random.Random) -> str:
    """A Russian number the way people type it: +7 912 345-67-89, 8 (912) 345 67 89, 89123456789..."""
    a, b, c, d = national[:3], national[3:6], national[6:8], national[8:]
    notations = [
        f"+7 {a} {b}-{c}-{d}",
        f"8 ({a}) {b}-{c}-{d}",
        f"8{national}",
        f"+7({a}){b}{c}{d}",
        f"8-{a}-{b}-{c}-{d}",
        f"7 {a} {b} {c} {d}",
        f"+7 {a} {b} {c}{d}",
        f"8 {a} {b}{c}{d}",
    ]
    return rng.choice(notations)


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.users: dict[str, User] = {}
        self.teams: dict[str, Team] = {}
        self.forms: dict[str, Form] = {}
        self.partner: Partner | None = None
        self.partner_key = ""
        self.leads: dict[str, Lead] = {}
        # Each worked lead's steps as they ran (intake, claim, call, stages, ...): the moment each began, so the
        # post-pass can give the lead's whole story believable dates over the last weeks (_backdate).
        self.steps: dict[int, list[tuple[datetime, str]]] = {}

    def build(self) -> DemoResult:
        self._people_and_teams()
        self._marketing()
        self._channels()
        for person in PEOPLE:
            self._submit(person)
        for payload in (SPAM, INVALID):
            self._send("web", payload)
        for person in INTERESTS:
            self._submit(person)
        self._work()
        worked_until = timezone.now()
        for person in REPEATS + CLIENT_REPEATS + LATE:
            self._submit(person)
        self._tasks_for_today()
        _backdate(self.steps, worked_until=worked_until, rng=random.Random(SEED + 1))
        return DemoResult(
            created=True,
            form_keys={slug: form.public_key for slug, form in self.forms.items()},
            partner_name=self.partner.name if self.partner else "",
            partner_key=self.partner_key,
        )

    # ------------------------------------------------------------ setup

    def _people_and_teams(self) -> None:
        # One hash for all: the demo password is public anyway, and hashing 7 times costs seconds.
        password = make_password(DEMO_PASSWORD)
        # The Moscow team takes leads no form or partner sends elsewhere, unless a default exists.
        # Teams, people, heads and rules are saved as the admin saves them (leads.routing_setup), so each team's
        # routing history starts with how the demo set it up, by nobody who logs in.
        has_default = Team.objects.filter(is_default=True).exists()
        moscow = Team.objects.filter(name="Продажи Москва").first() or routing_setup.save_team(team=Team(
            name="Продажи Москва",
            routing_scheme=RoutingScheme.POOL,
            is_default=not has_default,
            time_zone=DEMO_ZONE,
            sla_minutes=15,
            pool_claim_minutes=30,
            **ALWAYS_OPEN,
        ), by=None)
        wholesale = Team.objects.filter(name="Wholesale").first() or routing_setup.save_team(team=Team(
            name="Wholesale",
            routing_scheme=RoutingScheme.RULES,
            time_zone=DEMO_ZONE,
            sla_minutes=30,
            pool_claim_minutes=60,
            **ALWAYS_OPEN,
        ), by=None)
        self.teams = {"moscow": moscow, "wholesale": wholesale}
        admin = User.objects.filter(username="admin").first()
        if admin is None:
            # An existing "admin" (from `leadflow createadmin`) keeps its own password.
            admin = User.objects.create(
                username="admin",
                password=password,
                email="admin@example.com",
                first_name="Admin",
                role=Role.ADMIN,
                is_staff=True,
                is_superuser=True,
            )
        self.users["admin"] = admin
        for username, role, team_key, first, last in STAFF:
            # is_staff only lets them log in at /admin/ (which grants them no model permissions),
            # to get a session for /api/docs until the web pages arrive.
            self.users[username] = routing_setup.save_person(person=User(
                username=username,
                password=password,
                email=f"{username}@example.com",
                first_name=first,
                last_name=last,
                role=role,
                team=self.teams[team_key],
                is_staff=True,
                time_zone=DEMO_ZONE,
                language="ru" if _is_cyrillic(first) else "en",
            ), by=None)
        for team in (moscow, wholesale):
            team.head = self.users["head"]
            routing_setup.save_team(team=team, by=None, update_fields=["head"])
        self.users["carol"].product_groups = [PACKING]
        self.users["carol"].save(update_fields=["product_groups"])
        self.users["dave"].product_groups = [PACKING, FILLING]
        self.users["dave"].save(update_fields=["product_groups"])
        by_product = RoutingRule.objects.create(
            team=wholesale,
            position=10,
            name="Упаковочные линии: по очереди (Carol, Dave)",
            product_interest=PACKING,
            strategy=RoutingStrategy.ROUND_ROBIN,
        )
        by_product.candidates.set([self.users["carol"], self.users["dave"]])
        rest = RoutingRule.objects.create(
            team=wholesale,
            position=20,
            name="Всё остальное: наименее загруженному",
            strategy=RoutingStrategy.LEAST_LOADED,
        )
        for rule in (by_product, rest):
            routing_setup.audit_rule_change(rule=rule, before=None, by=None)

    def _marketing(self) -> None:
        today = timezone.localdate()
        sources = {}
        for name, utm_source, medium in SOURCES:
            sources[utm_source], _ = Source.objects.get_or_create(
                utm_source=utm_source, defaults={"name": name, "medium": medium}
            )
        for name, utm_campaign, utm_source, budget in CAMPAIGNS:
            Campaign.objects.get_or_create(
                utm_campaign=utm_campaign,
                defaults={
                    "name": name,
                    "source": sources[utm_source],
                    "budget": budget,
                    "starts_on": today - timedelta(days=60),
                    "ends_on": today + timedelta(days=30),
                },
            )
        self.sources = sources
        self._campaign_spend(today)

    def _campaign_spend(self, today: Any) -> None:
        """Clicks and spend per campaign for every day from its start to today, so the cost report has figures to show
        for every day the demo's leads arrived on."""
        from leadflow.marketing.models import CampaignSpend

        for number, campaign in enumerate(Campaign.objects.order_by("pk")):
            CampaignSpend.objects.bulk_create([
                # 6-15 clicks a day at 60-180 a click: a few per cent of the clicks leave a request.
                CampaignSpend(campaign=campaign, day=today - timedelta(days=day),
                              clicks=6 + (number * 7 + day * 3) % 10,
                              cost=(6 + (number * 7 + day * 3) % 10) * (60 + number * 30))
                for day in range((today - campaign.starts_on).days + 1 if campaign.starts_on else 30)
            ], ignore_conflicts=True)

    def _channels(self) -> None:
        consent = (
            "Я согласен на обработку персональных данных и на звонок менеджера "
            "(152-ФЗ). / I agree to be contacted about my request."
        )
        self.forms["website"], _ = Form.objects.get_or_create(
            slug="website",
            defaults={
                "name": "Заявка с сайта",
                "team": self.teams["moscow"],
                "consent_text": consent,
                "consent_text_version": "2025-03",
                "language": "ru",
                "title": "Оставьте заявку",
                "thank_you_text": "Спасибо! Менеджер перезвонит вам в течение 15 минут.",
                "allowed_origins": "http://127.0.0.1:8080\nhttp://localhost:8080",
            },
        )
        self.forms["wholesale-price"], _ = Form.objects.get_or_create(
            slug="wholesale-price",
            defaults={
                "name": "Оптовый прайс-лист",
                "team": self.teams["wholesale"],
                "consent_text": consent,
                "consent_text_version": "2025-03",
                "fields": [{"name": "name", "required": True}, {"name": "company", "required": True},
                           {"name": "phone", "required": True}, {"name": "email", "required": True}],
            },
        )
        self.partner, _ = Partner.objects.get_or_create(
            name="ЛидМаркет (CPA)",
            defaults={"team": self.teams["moscow"], "source": self.sources["partner"], "price_per_lead": 1200},
        )
        self.partner_key = self.partner.issue_key()

    # ------------------------------------------------------------ intake

    def _payload(self, person: Person) -> dict[str, Any]:
        phone = person.phone
        if phone and phone.isdigit() and len(phone) == 10:
            phone = write_phone(phone, self.rng)
        payload: dict[str, Any] = {
            "name": person.name,
            "phone": phone,
            "email": person.email,
            "company": person.company,
            "position": person.position,
            "city": person.city,
            "product_interest": person.product,
            "deal_type": person.deal,
            "message": person.message,
            "utm_source": person.utm[0],
            "utm_campaign": person.utm[1],
            "region": person.region,
        }
        payload = {key: value for key, value in payload.items() if value}
        if person.sender in ("web", "wholesale"):
            payload["consent"] = True
            payload["landing_page"] = "https://shop.example.ru/" + ("opt" if person.sender == "wholesale" else "")
            if person.utm[0]:
                payload["utm_medium"] = self.sources[person.utm[0]].medium
        return payload

    def _send(self, sender: str, payload: dict[str, Any]) -> Outcome:
        if sender == "web":
            inbound = Inbound(channel=Channel.FORM, payload=payload, form=self.forms["website"])
        elif sender == "wholesale":
            inbound = Inbound(channel=Channel.FORM, payload=payload, form=self.forms["wholesale-price"])
        elif sender == "partner":
            inbound = Inbound(channel=Channel.PARTNER, payload=payload, partner=self.partner)
        elif sender in ("email", "phone"):
            inbound = Inbound(channel=sender, payload=payload)
        else:  # a manager typing in a contact met offline
            inbound = Inbound(channel=Channel.MANUAL, payload=payload, submitted_by=self.users[sender])
        return receive(inbound)

    def _submit(self, person: Person) -> Outcome:
        began = timezone.now()
        outcome = self._send(person.sender, self._payload(person))
        if outcome.lead is not None and person.key not in self.leads:
            self.leads[person.key] = outcome.lead
            self.steps[outcome.lead.pk] = [(began, "intake")]
        return outcome

    def _step(self, lead: Lead, kind: str) -> None:
        """A step of the lead's story begins now (see _backdate)."""
        self.steps.setdefault(lead.pk, []).append((timezone.now(), kind))

    # ------------------------------------------------------------ work on the leads

    def _lead(self, key: str) -> Lead:
        return Lead.objects.select_related("owner", "team", "stage").get(pk=self.leads[key].pk)

    def _work(self) -> None:
        stages = {stage.code: stage for stage in Stage.objects.all()}
        managers = [self.users["alice"], self.users["bob"]]
        for key, username in CLAIMS.items():
            self._step(self.leads[key], "claim")
            services.claim_lead(lead=self._lead(key), by=self.users[username])
        # About half of the rest of the pool is claimed; the others wait (and escalate later).
        for key, lead in self.leads.items():
            if key in CLAIMS or lead.team_id != self.teams["moscow"].pk:
                continue
            if self.rng.random() < 0.5:
                self._step(lead, "claim")
                services.claim_lead(lead=self._lead(key), by=self.rng.choice(managers))

        for key in self.leads:
            lead = self._lead(key)
            if lead.owner is None or not lead.is_open:
                continue
            owner = lead.owner
            step = self.rng.choice(["new", "contacted", "contacted", "qualified", "proposal"])
            if step == "new" and key not in COMPANIES:
                continue
            self._call(lead, owner)
            for code in ("contacted", "qualified", "proposal"):
                self._step(lead, code)
                services.change_stage(lead=self._lead(key), stage=stages[code], by=owner)
                if code == step:
                    break
            if step in ("qualified", "proposal"):
                self._step(lead, "email")
                services.log_activity(
                    lead=lead,
                    kind=ActivityKind.EMAIL,
                    by=owner,
                    subject="Коммерческое предложение",
                    body="Отправлено КП и прайс-лист (PDF).",
                )
            if step == "proposal":
                self._step(lead, "proposal_sent")
                services.log_activity(
                    lead=lead,
                    kind=ActivityKind.PROPOSAL,
                    by=owner,
                    subject="КП №" + str(lead.pk),
                    body="Сумма по КП согласована с руководителем.",
                )

        for key, reason, note in REFUSALS:
            lead = self._lead(key)
            self._step(lead, "refuse")
            services.refuse_lead(lead=lead, reason=LostReason.objects.get(name=reason), note=note, by=lead.owner)
        key, days, note = DEFERRAL
        lead = self._lead(key)
        self._step(lead, "defer")
        services.defer_lead(lead=lead, until=timezone.localdate() + timedelta(days=days), note=note, by=lead.owner)

        for key, company in COMPANIES.items():
            lead = self._lead(key)
            owner = lead.owner
            self._step(lead, "meeting")
            services.log_activity(
                lead=lead,
                kind=ActivityKind.MEETING,
                by=owner,
                subject="Встреча в офисе клиента",
                body="Договорились о поставке, ждём подписанный договор.",
                duration_seconds=3600,
            )
            self._step(lead, "convert")
            services.convert_lead(lead=self._lead(key), by=owner, company=company)

    def _call(self, lead: Lead, owner: User) -> None:
        minutes = self.rng.randint(2, 14)
        self._step(lead, "call")
        services.log_activity(
            lead=lead,
            kind=ActivityKind.CALL,
            by=owner,
            subject="Первый звонок",
            body=self.rng.choice(
                [
                    "Уточнили потребность и бюджет.",
                    "Клиент просит КП на почту.",
                    "Договорились о демонстрации в шоуруме.",
                    "Talked through the options; sends specs.",
                ]
            ),
            duration_seconds=minutes * 60,
        )

    def _tasks_for_today(self) -> None:
        """Every manager has work due today: the first calls, plus what the head asks for."""
        zone = ZoneInfo(DEMO_ZONE)
        now = timezone.now()
        today = timezone.localtime(now, zone).date()
        head = self.users["head"]
        for username in ("alice", "bob", "carol", "dave"):
            manager = self.users[username]
            leads = list(Lead.objects.filter(owner=manager, state=LeadState.OPEN).order_by("pk")[:3])
            moments = [
                _at(today, time(11, 0), zone),
                _at(today, time(15, 30), zone),
                min(now + timedelta(hours=2), _at(today, time(23, 45), zone)),
            ]
            # the head writes in the person's language: a Russian name gets the Russian title
            titles = [("Перезвонить: обсудить КП", "Call back about the quote"),
                      ("Отправить договор на согласование", "Send the contract for approval"),
                      ("Уточнить объём первой партии", "Ask the size of the first order")]
            for lead, due, (russian, english) in zip(leads, moments, titles, strict=False):
                title = russian if re.search("[а-яё]", lead.full_name, re.IGNORECASE) else english
                task = services.create_task(
                    lead=lead,
                    assignee=manager,
                    title=f"{title} ({lead.full_name})",
                    due_at=max(due, now),
                    kind=TaskKind.CALLBACK,
                    by=head,
                )
                if due < now:
                    # Set this morning for a time that has passed since: overdue now, as a working day leaves some
                    # (a new task may not be due in the past, so the morning's due time is put back afterwards).
                    Task.objects.filter(pk=task.pk).update(due_at=due)


# ------------------------------------------------------------ eight weeks of history

STORY_DAYS = 56  # the worked leads arrived over the last eight weeks
# How soon each manager calls a new lead, in minutes: the median of a spread (some calls come late: the Moscow
# team's SLA is 15 minutes, the Wholesale team's 30).
FIRST_CALL_MINUTES = {"alice": 6, "bob": 21, "carol": 12, "dave": 38}
MINUTE, HOUR, DAY = 1, 60, 24 * 60
# How long after the step before each later step of a story comes, in minutes (least, most).
AFTER = {
    "contacted": (4, 16),  # the call is over
    "qualified": (1 * DAY, 3 * DAY),
    "email": (10, 90),
    "proposal": (1 * DAY, 4 * DAY),
    "proposal_sent": (5, 40),
    "refuse": (1 * DAY, 6 * DAY),
    "defer": (1 * DAY, 4 * DAY),
    "meeting": (2 * DAY, 7 * DAY),
    "convert": (1 * HOUR, 3 * HOUR),
}
OFFICE = (time(9, 0), time(19, 0))  # when the later steps happen (the demo teams take leads round the clock)


def _backdate(steps: dict[int, list[tuple[datetime, str]]], *, worked_until: datetime, rng: random.Random) -> None:
    """Give each worked lead's story believable dates over the last weeks, in one pass of bulk updates.

    The build runs every step through the services in a few seconds, so everything happens "now". Here each lead
    that was called, refused, deferred or converted gets a moment of arrival in the last eight weeks and a moment
    for each later step (claimed and called a manager's usual few minutes after arrival, the next stages days
    later), and every row of its story written during a step moves with that step: the submission, the lead's
    times, its requests, stage, owner and field history, activities, tasks, notifications, events, the client.
    Order is kept (each step moves as a whole, and later steps stay later). What happened after the work (a person
    writing again, today's tasks) and the leads still waiting (the pool, leads not called yet) stay as they are.
    """
    zone = ZoneInfo(DEMO_ZONE)
    now = timezone.now()
    worked = {pk: story for pk, story in steps.items()
              if any(kind in ("call", "refuse", "defer", "convert") for _, kind in story)}
    if not worked:
        return
    owners = dict(Lead.objects.filter(pk__in=worked).values_list("pk", "owner__username"))
    moves: dict[int, tuple[list[datetime], list[timedelta]]] = {}
    for pk in sorted(worked):
        story = sorted(worked[pk])
        times = _story([kind for _, kind in story], FIRST_CALL_MINUTES.get(owners.get(pk) or "", 20), now, zone, rng)
        moves[pk] = ([began for began, _ in story], [new - began for new, (began, _) in zip(times, story, strict=True)])

    def move(pk: int | None, moment: datetime | None) -> datetime | None:
        if pk not in moves or moment is None or moment >= worked_until:
            return moment
        starts, shifts = moves[pk]
        return moment + shifts[max(bisect_right(starts, moment) - 1, 0)]

    _move_rows(moves, move, worked_until=worked_until, now=now)


def _story(kinds: list[str], first_call: int, now: datetime, zone: ZoneInfo, rng: random.Random) -> list[datetime]:
    """New moments for a lead's steps (`kinds`, in order, the first being its arrival), all before now."""
    call = timedelta(minutes=min(max(rng.lognormvariate(math.log(first_call), 0.7), 1.5), 6 * HOUR))
    claim = call * rng.uniform(0.2, 0.7)
    for _attempt in range(50):
        day = timezone.localtime(now, zone).date() - timedelta(days=rng.randint(1, STORY_DAYS))
        if day.weekday() >= 5 and rng.random() < 0.7:  # fewer requests at the weekend
            continue
        arrived = _at(day, time(8, 0), zone) + timedelta(minutes=rng.randint(0, 12 * 60))
        times: list[datetime] = []
        for kind in kinds:
            if not times:
                moment = arrived
            elif kind == "claim":
                moment = arrived + claim
            elif kind == "call":
                moment = max(arrived + call, times[-1] + timedelta(minutes=1))
            else:
                least, most = AFTER.get(kind, (5, 60))
                moment = times[-1] + timedelta(minutes=rng.uniform(least, most))
                if most >= HOUR:
                    moment = _in_office(moment, zone, rng)
            times.append(moment)
        if times[-1] < now - timedelta(hours=1):
            return times
    raise AssertionError("no room for the story")  # 50 tries over eight weeks: a story that long is a demo bug


def _in_office(moment: datetime, zone: ZoneInfo, rng: random.Random) -> datetime:
    """The same moment if it falls in office hours on a weekday, else the next working morning."""
    local = timezone.localtime(moment, zone)
    if OFFICE[0] <= local.time() < OFFICE[1] and local.weekday() < 5:
        return moment
    day = local.date() + timedelta(days=0 if local.time() < OFFICE[0] else 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return _at(day, OFFICE[0], zone) + timedelta(minutes=rng.randint(0, 90))


def _move_rows(moves: dict[int, Any], move: Any, *, worked_until: datetime, now: datetime) -> None:
    """Rewrite the moments of every row of the moved leads' stories (see _backdate)."""
    from leadflow.clients.models import Company, Contact
    from leadflow.events.models import OutboxEvent
    from leadflow.leads.models import Notification

    pks = list(moves)
    leads = list(Lead.objects.filter(pk__in=pks).select_related("team"))
    for lead in leads:
        for name in ("created_at", "assigned_at", "first_contacted_at", "sales_since", "consent_at", "refused_at",
                     "converted_at", "escalated_at", "sla_warned_at", "updated_at"):
            setattr(lead, name, move(lead.pk, getattr(lead, name)))
        if lead.sales_since is not None:
            lead.sla_due_at = add_working_minutes(lead.sales_since, lead.team.sla_minutes, team_calendar(lead.team))
    _save_moments(Lead, leads, ["created_at", "assigned_at", "first_contacted_at", "sales_since", "consent_at",
                                     "refused_at", "converted_at", "escalated_at", "sla_warned_at", "updated_at",
                                     "sla_due_at"])
    clients = list(Client.objects.filter(lead_id__in=pks))
    client_lead = {client.pk: client.lead_id for client in clients}
    for client in clients:
        client.created_at = move(client.lead_id, client.created_at)
    _save_moments(Client, clients, ["created_at"])
    for model, link in ((Company, "company_id"), (Contact, "contact_id")):
        owner_of = {getattr(client, link): client.lead_id for client in clients if getattr(client, link)}
        rows = list(model.objects.filter(pk__in=owner_of))
        for row in rows:
            row.created_at = move(owner_of[row.pk], row.created_at)
        _save_moments(model, rows, ["created_at"])

    def lead_of(row: Any) -> int | None:
        return getattr(row, "lead_id", None) or client_lead.get(getattr(row, "client_id", None))

    # Every other row that names a moved lead (or its client) moves with it: the submission, requests, stage, owner
    # and field history, activities, notifications, consents... Tasks have a due time of their own (_move_tasks).
    for model in apps.get_models():
        links = {field.name for field in model._meta.get_fields()
                 if field.many_to_one and field.related_model in (Lead, Client) and field.name in ("lead", "client")}
        names = [field.name for field in model._meta.concrete_fields
                 if isinstance(field, models.DateTimeField) and not field.auto_now]
        if model in (Lead, Client, Task) or not links or not names:
            continue
        scope = Q(lead_id__in=pks) if "lead" in links else Q(pk__in=[])
        if "client" in links:
            scope |= Q(client_id__in=client_lead)
        rows = list(model.objects.filter(scope))
        for row in rows:
            for name in names:
                setattr(row, name, move(lead_of(row), getattr(row, name)))
            if model is Notification and row.read_at is None and row.created_at < now - timedelta(days=1):
                row.read_at = row.created_at + timedelta(minutes=5)  # weeks-old news has been read
        _save_moments(model, rows, names)
    for_story = Q(lead_id__in=pks) | Q(client_id__in=client_lead)
    _move_tasks(list(Task.objects.filter(for_story, created_at__lt=worked_until)), lead_of, move,
                {lead.pk: lead.first_contacted_at for lead in leads}, now=now)
    # Domain events name their lead in the payload; the worker delivers them when it starts.
    events = [event for event in OutboxEvent.objects.filter(delivered_at__isnull=True)
              if event.payload.get("lead_id") in moves]
    for event in events:
        event.created_at = move(event.payload["lead_id"], event.created_at)
    _save_moments(OutboxEvent, events, ["created_at"])


def _move_tasks(tasks: list[Task], lead_of: Any, move: Any, contacted: dict[int, datetime | None], *,
                now: datetime) -> None:
    """Tasks set during the work move with the step that set them, their due time too (a deferral's "call again"
    weeks ahead stays on its day); one that is past due by now was done: the first call when the lead was
    called, the others when due. Today's tasks, set after the work, stay as they are."""
    for task in tasks:
        lead = lead_of(task)
        created = move(lead, task.created_at)
        if task.due_at - task.created_at <= timedelta(days=3):
            task.due_at += created - task.created_at
        task.created_at = created
        task.completed_at, task.reminded_at = move(lead, task.completed_at), move(lead, task.reminded_at)
        if task.completed_at is None and not task.is_cancelled and task.due_at < now:
            first_call = contacted.get(lead) if task.lead_id else None
            done = first_call if first_call is not None and first_call >= task.created_at else task.due_at
            task.completed_at = min(done, now)
    _save_moments(Task, tasks, ["created_at", "due_at", "completed_at", "reminded_at"])


def _save_moments(model: type[models.Model], rows: list[Any], names: list[str]) -> None:
    """Write the rows' `names` back, one prepared UPDATE run for all of them (bulk_update's CASE per row and field
    costs seconds here for a few thousand rows; this costs milliseconds, so loading the demo takes no longer)."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    # Names from the models, values as parameters.
    sql = f"UPDATE {quote(model._meta.db_table)} SET {columns} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields] + [row.pk]
                                 for row in rows])


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone)


def _is_cyrillic(text: str) -> bool:
    return any("\u0400" <= char <= "\u04ff" for char in text)


def describe(result: DemoResult, *, base_url: str) -> list[str]:
    """What to tell the person who ran the demo: logins, keys, a submission to try."""
    lines: list[str] = []
    if result.created:
        lines.append("Demo data loaded: " + ", ".join(f"{n} {what}" for what, n in result.counts.items()) + ".")
    else:
        lines.append("Demo data is already there (the demo users exist); nothing was changed.")
    password_note = "all with the password" if result.created else "password (unless changed)"
    lines += [
        f'Demo logins, {password_note} "{DEMO_PASSWORD}":',
        "  admin  administrator (superuser; unless you had created your own admin)",
        "  head   head of sales of both teams",
        "  alice, bob    managers, team «Продажи Москва» (shared pool: claim leads)",
        "  carol, dave   managers, team «Wholesale» (routing rules)",
        "  mary   marketer",
        f"Log in at {base_url}/ (the sales pages); the API and its docs are at {base_url}/api/docs;",
        "for scripts, `leadflow createtoken alice` prints a token for `Authorization: Bearer <token>`.",
    ]
    for slug, key in result.form_keys.items():
        lines.append(f"Web form {slug!r}: X-Form-Key: {key}")
    if result.partner_key:
        lines.append(f"Partner {result.partner_name!r}: X-Api-Key: {result.partner_key}  (shown only once)")
    key = result.form_keys.get("website")
    if key:
        lines += [
            "Try a submission:",
            f"  curl -s -X POST {base_url}/api/submissions -H 'Content-Type: application/json' "
            f'-H \'X-Form-Key: {key}\' -d \'{{"name": "Пётр Сидоров", "phone": "+7 915 000-12-34", '
            f'"consent": true}}\'',
        ]
    return lines
