#!/usr/bin/env python
"""Intake benchmark: the full submit path over HTTP next to a bare one-row insert, same server, same run.

    .venv/bin/python benchmarks/intake.py                      # both backends, 100,000 leads seeded
    .venv/bin/python benchmarks/intake.py --backend sqlite --rounds 3 --seconds 10 --concurrency 1,4

For each backend it makes a fresh database (a SQLite file in a temporary LEADFLOW_DATA_DIR, or a fresh
PostgreSQL database `leadflow_bench` next to the one scripts/postgres.sh serves), migrates it, seeds
--seed-leads leads with their identity keys, first request, stage history and first task (not timed),
starts the real WSGI app under waitress as a subprocess, and drives it from a separate load-generator
process: --concurrency threads, each with a keep-alive http.client connection, closed loop, for
--seconds per round after a --warmup that is dropped. Rounds alternate bare/full so drift on a noisy
machine hits both alike; the report gives medians over rounds and the full/bare throughput ratio,
and rewrites its own section of docs/benchmarks.md (between the intake markers).

The full path is POST /api/submissions with a partner key: journal, normalise, validate, classify,
match, create or attach, route, first task, outbox. ~80% of the bodies are new people, ~20% repeat
a seeded person's phone written another way ("8 (900) ..." against the stored "+7900..."), so both
the create and the attach paths run. The bare path is POST /api/bench/insert with the same bodies:
parse the JSON, insert one Submission row.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import itertools
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # the benchmarks' shared scaffolding (benchmarks/common.py)

ROOT, DOC = common.ROOT, common.DOC
MARK_START, MARK_END = common.markers("intake")
BENCH_DB = "leadflow_bench"
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
RUN_NUMBERS = 200_000  # new people per load run (numbers run_number * RUN_NUMBERS + k)
SEED_PREFIX = "+7900"  # seeded leads: +7900NNNNNNN, NNNNNNN = 0 .. seed_leads-1
NEW_PREFIX = "916"  # people new in the measured run: +7916RNNNNNN (R = run number), never seeded
DIAG_PREFIX = "917"  # the in-process diagnostic submissions

# Names: ~300 common surnames, skewed so the first ones are the most frequent (as in life), so name
# keys form blocks of realistic size: most people share their name key with a few, common names with many.
SURNAMES = """
Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков Алексеев
Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин Захаров Зайцев
Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов Александров Дмитриев Королёв
Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов Жуков
Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов Сидоров Матвеев Титов Марков Миронов
Крылов Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев
Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышёв Быков
Маслов Родионов Коновалов Лазарев Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров Наумов
Потапов Журавлёв Овчинников Трофимов Леонов Соболев Ермаков Колесников Гончаров Емельянов Никифоров
Грачёв Котов Гришин Ефремов Архипов Громов Кириллов Малышев Панов Моисеев Румянцев Акимов Кондратьев
Бирюков Горбунов Анисимов Ерёмин Тихомиров Галкин Лукьянов Михеев Скворцов Юдин Белоусов Нестеров
Симонов Прокофьев Харитонов Князев Цветков Левин Митрофанов Воронов Аксёнов Софронов Мальцев Логинов
Горшков Савин Краснов Майоров Демидов Елисеев Рыбаков Сафонов Плотников Дёмин Хохлов Фадеев Молчанов
Игнатов Литвинов Ершов Ушаков Дементьев Рябов Мухин Калашников Леонтьев Лобанов Кузин Корнилов
Евдокимов Бородин Платонов Некрасов Балашов Бобров Жданов Блинов Игнатьев Коротков Муравьёв Крюков
Беляков Богомолов Дроздов Лавров Зуев Петухов Ларин Никулин Серов Терентьев Зотов Устинов Фокин
Самойлов Константинов Сахаров Шишкин Самсонов Черкасов Чистяков Носов Спиридонов Карасёв Авдеев
Воронцов Зверев Владимиров Селезнёв Нечаев Седов Фирсов Андрианов Панин Головин Терехов Ульянов
Шестаков Агеев Никонов Селиванов Баженов Гордеев Кожевников Пахомов Зимин Костин Широков Филимонов
Ларионов Овсянников Сазонов Суворов Нефёдов Любимов Львов Горбачёв Копылов Лукин Токарев Кулешов
Шилов Большаков Панкратов Родин Шаповалов Покровский Бочаров Никольский Маркин Горелов Агафонов
Березин Ермолаев Зубков Куприянов Трифонов Масленников Круглов Третьяков Колосов Рожков Артамонов
Шмелёв Лаптев Лапшин Федосеев Зиновьев Зорин Уткин Столяров Зубов Ткачёв Дорофеев Антипов Завьялов
Свиридов Золотарёв Кулаков Мещеряков Макеев Дьяконов Гуляев Петровский Бондарев Поздняков Панфилов
""".split()
MALE_NAMES = """Александр Сергей Дмитрий Андрей Алексей Максим Евгений Иван Михаил Артём Николай Владимир
Игорь Денис Павел Роман Олег Виктор Антон Юрий Константин Кирилл Вадим Илья Никита Егор Руслан Григорий
Станислав Тимур Валерий Леонид Борис Фёдор Георгий Пётр Степан Вячеслав Анатолий Геннадий""".split()
FEMALE_NAMES = """Елена Ольга Наталья Татьяна Ирина Анна Светлана Мария Екатерина Юлия Марина Анастасия
Людмила Галина Дарья Ксения Виктория Надежда Оксана Валентина Алёна Полина Вера Любовь Алина Кристина
Евгения Софья Лариса Нина Валерия Маргарита Дина Жанна Зоя Лидия Алла Тамара Инна Ангелина""".split()
PATRONYMIC_STEMS = """Александров Сергеев Дмитриев Андреев Алексеев Владимиров Николаев Михайлов Иванов
Викторов Петров Юрьев Евгеньев Анатольев Васильев Олегов Игорев Павлов Борисов Геннадьев""".split()


def _feminine(surname: str) -> str:
    return surname[:-2] + "ая" if surname.endswith("ий") else surname + "а"


def _skewed(rng: random.Random, n: int, skew: float) -> int:
    """An index in [0, n), low ones more often (skew 1 = uniform)."""
    return min(n - 1, int(n * rng.random() ** skew))


def person(i: int) -> tuple[str, str, str]:
    """Deterministic (last, first, middle) for number i; the loader and the seeder agree on it."""
    rng = random.Random(i * 7919 + 17)
    surname = SURNAMES[_skewed(rng, len(SURNAMES), 1.5)]
    stem = PATRONYMIC_STEMS[_skewed(rng, len(PATRONYMIC_STEMS), 1.5)]
    if rng.random() < 0.5:
        first = FEMALE_NAMES[_skewed(rng, len(FEMALE_NAMES), 1.8)]
        last, middle = _feminine(surname), stem + "на"
    else:
        first = MALE_NAMES[_skewed(rng, len(MALE_NAMES), 1.8)]
        last, middle = surname, stem + "ич"
    if rng.random() < 0.3:  # many people give no patronymic
        middle = ""
    return last, first, middle


PRODUCTS = ["Кондиционеры", "Котлы", "Вентиляция", "Насосы", "Фильтры", ""]
CITIES = ["Москва", "Санкт-Петербург", "Казань", "Екатеринбург", "Новосибирск", "Самара", ""]
MESSAGES = [
    "Перезвоните, пожалуйста",
    "Нужен расчёт стоимости",
    "Интересует оптовая цена",
    "",
    "Хочу заказать монтаж",
    "Сколько стоит доставка в мой город?",
]


def seeded_phone(i: int) -> str:
    return f"{SEED_PREFIX}{i:07d}"


def phone_written_another_way(e164: str) -> str:
    """+79001234567 -> 8 (900) 123-45-67: what a person types the second time."""
    d = e164[2:]
    return f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}"


def make_body(
    rng: random.Random, *, new_number: int, seed_leads: int, repeat_share: float, prefix: str = NEW_PREFIX
) -> dict[str, Any]:
    """One partner submission: a new person, or (repeat_share of the time) a seeded one again."""
    common = {
        "utm_source": "partner-bench",
        "utm_medium": "cpa",
        "utm_campaign": "bench-spring",
        "consent": True,
        "message": rng.choice(MESSAGES),
    }
    if seed_leads and rng.random() < repeat_share:
        i = rng.randrange(seed_leads)
        last, first, middle = person(i)
        return {"name": f"{first} {last}", "phone": phone_written_another_way(seeded_phone(i)), **common}
    last, first, middle = person(new_number)
    digits = f"{new_number:07d}"
    phone = rng.choice(
        [
            f"+7 {prefix} {digits[:3]}-{digits[3:5]}-{digits[5:]}",
            f"8{prefix}{digits}",
            f"+7 ({prefix}) {digits[:3]} {digits[3:5]} {digits[5:]}",
        ]
    )
    return {
        "name": f"{last} {first} {middle}".strip(),
        "phone": phone,
        "email": f"client{prefix}.{new_number}@mail.example.ru",
        "city": rng.choice(CITIES),
        "product_interest": rng.choice(PRODUCTS),
        **common,
    }


# ====================================================================== seeding (runs in a subprocess)


def seed_main(config: dict[str, Any]) -> None:
    """Migrate, seed, measure queries per request in-process; write a JSON summary to config['out']."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from leadflow.accounts.models import Role, RoutingScheme, Team, User
    from leadflow.intake.models import Partner
    from leadflow.leads.models import Channel, Lead, LeadState, Request, StageChange, Task, TaskKind
    from leadflow.leads.services import initial_stage
    from leadflow.marketing.models import Campaign, Source
    from leadflow.matching import services as matching
    from leadflow.matching.models import CardType, IdentityKey, KeyKind

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter()

    team = Team.objects.create(name="Bench sales", is_default=True, routing_scheme=RoutingScheme.POOL, sla_minutes=15)
    head = User.objects.create_user(
        "bench-head", "head@bench.example.ru", None, role=Role.HEAD, team=team, first_name="Ольга", last_name="Главная"
    )
    team.head = head
    team.save(update_fields=["head"])
    managers = [
        User.objects.create_user(
            f"bench-m{k}", f"m{k}@bench.example.ru", None, role=Role.MANAGER, team=team, first_name=f"Менеджер {k}"
        )
        for k in range(4)
    ]
    source = Source.objects.create(name="Bench partner network", utm_source="partner-bench", medium="cpa")
    Campaign.objects.create(name="Bench spring", utm_campaign="bench-spring", source=source)
    partner = Partner.objects.create(name="Bench partner", team=team, source=source)
    key = partner.issue_key()
    stage = initial_stage()

    # Identity keys exactly as matching.register_keys writes them, when the module offers the pieces;
    # else the phone and e-mail keys in SQL below.
    key_rows = getattr(matching, "_rows", None)
    facts_of_lead = getattr(matching, "facts_of_lead", None)
    if key_rows is None or facts_of_lead is None:
        key_rows = None
    n, batch = config["seed_leads"], 5000
    first_id = (Lead.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    rng = random.Random(1)
    now = timezone.now()
    channels = [Channel.FORM, Channel.FORM, Channel.PARTNER, Channel.EMAIL, Channel.PHONE]
    for start in range(0, n, batch):
        with transaction.atomic():
            leads = []
            for i in range(start, min(start + batch, n)):
                last, first, middle = person(i)
                created = now - dt.timedelta(minutes=rng.randrange(60, 365 * 24 * 60))
                deferred = i % 10 == 9
                leads.append(
                    Lead(
                        last_name=last,
                        first_name=first,
                        middle_name=middle,
                        full_name=" ".join(p for p in (last, first, middle) if p),
                        phone=seeded_phone(i),
                        email=f"lead{i}@mail.example.ru",
                        city=CITIES[i % len(CITIES)],
                        product_interest=PRODUCTS[i % len(PRODUCTS)],
                        message=MESSAGES[i % len(MESSAGES)],
                        state=LeadState.DEFERRED if deferred else LeadState.OPEN,
                        deferred_until=(now + dt.timedelta(days=30)).date() if deferred else None,
                        stage=stage,
                        team=team,
                        owner=managers[i % 4] if i % 2 else None,
                        assigned_at=created if i % 2 else None,
                        channel=channels[i % len(channels)],
                        utm_source="partner-bench",
                        consent_given=True,
                        consent_at=created,
                        created_at=created,
                    )
                )
            for number, lead in enumerate(leads, start=first_id + start):
                lead.pk = number
                if hasattr(lead, "folded_search_text"):  # save() fills it; this insert skips save()
                    lead.search_text = lead.folded_search_text()
            common.insert_rows(Lead, leads, with_pk=True)
            if key_rows is not None:  # the keys create_lead registers: contacts, name and company keys
                common.insert_rows(
                    IdentityKey,
                    [row for lead in leads for row in key_rows(CardType.LEAD, lead.pk, facts_of_lead(lead))],
                )
    # The first request, stage change and first task of each lead: one INSERT ... SELECT each.
    pg = connection.vendor == "postgresql"
    plus = (
        (lambda col, minutes: f"{col} + interval '{minutes} minutes'")
        if pg
        else (lambda col, minutes: f"strftime('%Y-%m-%d %H:%M:%f', {col}, '+{minutes} minutes')")
    )
    json_obj = "jsonb_build_object" if pg else "json_object"
    with transaction.atomic():
        for kind, column in ((KeyKind.PHONE, "phone"), (KeyKind.EMAIL, "email")) if key_rows is None else ():
            insert_select(
                IdentityKey,
                {
                    "kind": f"'{kind}'",
                    "value": column,
                    "extension": "''",
                    "card_type": f"'{CardType.LEAD}'",
                    "card_id": "id",
                },
            )
        insert_select(
            Request,
            {
                "lead_id": "id",
                "channel": "channel",
                "message": "message",
                "utm_source": "utm_source",
                "created_at": "created_at",
                "facts": f"{json_obj}('phone', phone, 'email', email)",
            },
        )
        insert_select(
            StageChange, {"lead_id": "id", "to_stage_id": "stage_id", "to_state": "'open'", "changed_at": "created_at"}
        )
        insert_select(
            Task,
            {
                "lead_id": "id",
                "assignee_id": "owner_id",
                "kind": f"'{TaskKind.CALL}'",
                "title": "'Call the lead: ' || full_name",
                "created_at": "created_at",
                "due_at": plus("created_at", 15),
                "completed_at": f"CASE WHEN id % 5 <> 0 THEN {plus('created_at', 40)} END",
                "result": "CASE WHEN id % 5 <> 0 THEN 'Called' ELSE '' END",
            },
        )
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Lead]):  # ids were given explicitly
            cursor.execute(statement)
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")  # what autovacuum would have done after 100k inserts
            cursor.execute("SHOW server_version")
            db_version = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("SELECT sqlite_version()")
            db_version = f"SQLite {cursor.fetchone()[0]}"
    seeded = time.perf_counter()
    connection.close()

    summary = {
        "partner_key": key,
        "db_version": db_version,
        "leads": Lead.objects.count(),
        "identity_keys": IdentityKey.objects.count(),
        "migrate_s": round(migrated - started, 1),
        "seed_s": round(seeded - migrated, 1),
    }
    summary["diagnostics"] = diagnostics(
        key, n, profile_out=config.get("profile_out"), profile_count=config.get("profile_count", 0)
    )
    Path(config["out"]).write_text(json.dumps(summary))


def insert_select(model: Any, values: dict[str, str]) -> None:
    """INSERT INTO <model> (...) SELECT ... FROM leads_lead: one row per seeded lead, in SQL.

    Columns not named get NULL if nullable, else their model default as a literal, so a column
    added later does not break the seeding (a NOT NULL column without a default does, loudly)."""
    from django.db import connection

    columns, exprs = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if f.column in values:
            expr = values[f.column]
        elif f.null:
            expr = "NULL"
        else:
            default = f.get_default()
            if isinstance(default, bool):
                expr = "TRUE" if default else "FALSE"
            elif isinstance(default, int | float):
                expr = str(default)
            elif isinstance(default, str):
                expr = "'" + default.replace("'", "''") + "'"
            elif isinstance(default, dict | list) and not default:
                expr = ("'{}'" if isinstance(default, dict) else "'[]'") + (
                    "::jsonb" if connection.vendor == "postgresql" else ""
                )
            else:
                raise RuntimeError(f"seeding {model.__name__}: no value for {f.column}")
        columns.append(connection.ops.quote_name(f.column))
        exprs.append(expr)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(exprs)} FROM leads_lead ORDER BY id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)


def diagnostics(
    key: str, seed_leads: int, *, profile_out: str | None, profile_count: int, base: int = 0
) -> dict[str, Any]:
    """In-process, single thread, no HTTP: SQL statements and time per request, by path."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    rng = random.Random(7)
    counter = itertools.count(base)
    headers = {"X-Api-Key": key}

    def post(path: str, body: dict[str, Any]) -> int:
        response = client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)
        return response.status_code

    def new_body() -> dict[str, Any]:
        return make_body(rng, new_number=next(counter), seed_leads=0, repeat_share=0.0, prefix=DIAG_PREFIX)

    def repeat_body() -> dict[str, Any]:
        return make_body(rng, new_number=0, seed_leads=seed_leads, repeat_share=1.0)

    for _ in range(5):  # warm caches, imports, the connection
        post("/api/submissions", new_body())
        post("/api/submissions", repeat_body())
    result: dict[str, Any] = {}
    for label, path, make, expect in (
        ("bare", "/api/bench/insert", new_body, 201),
        ("create", "/api/submissions", new_body, 201),
        ("attach", "/api/submissions", repeat_body, 200),
    ):
        queries, times = [], []
        for _ in range(40):
            body = make()
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                status = post(path, body)
                times.append(time.perf_counter() - t0)
            if status != expect:
                raise RuntimeError(f"diagnostic {label}: HTTP {status}, expected {expect}")
            queries.append(len(ctx.captured_queries))
        result[label] = {"queries": int(statistics.median(queries)), "ms": round(statistics.median(times) * 1000, 2)}
        if label == "create":
            result["create_statements"] = summarise_sql(ctx.captured_queries)
        result[label]["db_ms"] = round(statistics.median(database_time(post, path, make, 40)) * 1000, 2)
    # Where the time of a full-path request goes, by step (cProfile; it inflates Python-heavy parts).
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    count = max(profile_count, 200)
    mixed = [
        make_body(rng, new_number=base + 10**6 + k, seed_leads=seed_leads, repeat_share=0.2, prefix=DIAG_PREFIX)
        for k in range(count)
    ]
    t0 = time.perf_counter()
    profiler.enable()
    for body in mixed:
        post("/api/submissions", body)
    profiler.disable()
    elapsed = time.perf_counter() - t0
    stats = pstats.Stats(profiler)
    result["profile"] = {"count": count, "ms": elapsed / count * 1000, "steps": profile_steps(stats, count, elapsed)}
    if profile_out:
        profiler.dump_stats(profile_out)
        with open(profile_out + ".txt", "w") as text:
            text.write(
                f"{count} full-path submissions in-process (80% new / 20% repeat): "
                f"{elapsed:.2f} s, {elapsed / count * 1000:.2f} ms each (profiler on)\n\n"
            )
            stats = pstats.Stats(profiler, stream=text).strip_dirs()
            stats.sort_stats("cumulative").print_stats(60)
            stats.sort_stats("tottime").print_stats(40)
    return result


def database_time(post: Any, path: str, make: Any, count: int) -> list[float]:
    """Seconds spent inside the database driver per request (every statement, BEGIN and COMMIT included):
    the part of a request no Python in Leadflow can make cheaper."""
    from django.db import connection

    spent = [0.0]

    def timed_statement(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[0] += time.perf_counter() - t0

    commit = connection._commit

    def timed_commit() -> None:
        t0 = time.perf_counter()
        try:
            commit()
        finally:
            spent[0] += time.perf_counter() - t0

    per_request = []
    connection._commit = timed_commit
    try:
        with connection.execute_wrapper(timed_statement):
            for _ in range(count):
                spent[0] = 0.0
                post(path, make())
                per_request.append(spent[0])
    finally:
        del connection._commit
    return per_request


# (label, file path suffix, function name, depth): the steps of the full path, then cross-cutting costs.
PROFILE_STEPS = [
    ("whole request, Django handler", "django/core/handlers/base.py", "get_response", 0),
    ("`accounts/auth.py` partner_from_key (X-Api-Key lookup)", "leadflow/accounts/auth.py", "partner_from_key", 1),
    ("`intake/pipeline.py` journal (insert Submission, own transaction)", "leadflow/intake/pipeline.py", "journal", 1),
    ("`intake/pipeline.py` process (steps 2-9, one transaction)", "leadflow/intake/pipeline.py", "process", 1),
    ("_parse: normalise, validate, Source/Campaign lookups", "leadflow/intake/pipeline.py", "_parse", 2),
    ("_source_for (Source by utm_source__iexact)", "leadflow/intake/pipeline.py", "_source_for", 3),
    ("normalize_phone", "leadflow/matching/normalize.py", "normalize_phone", 3),
    ("normalize_email", "leadflow/matching/normalize.py", "normalize_email", 3),
    ("lock_identity", "leadflow/matching/services.py", "lock_identity", 2),
    ("matching.find", "leadflow/matching/services.py", "find", 2),
    ("pick_card", "leadflow/intake/pipeline.py", "pick_card", 2),
    ("`leads/services.py` create_lead (new people)", "leadflow/leads/services.py", "create_lead", 2),
    ("initial_stage (SELECT stage)", "leadflow/leads/services.py", "initial_stage", 3),
    ("route_lead (routing + first task + event)", "leadflow/leads/services.py", "route_lead", 3),
    ("_promote_matching_interests", "leadflow/leads/services.py", "_promote_matching_interests", 3),
    ("`leads/services.py` attach_request (repeats)", "leadflow/leads/services.py", "attach_request", 2),
    ("record_event (outbox INSERTs, 2 per new lead)", "leadflow/events/services.py", "record_event", 2),
    ("_finish (UPDATE submission status)", "leadflow/intake/pipeline.py", "_finish", 2),
    ("across all steps: SQL execution in the driver and database", "django/db/backends/utils.py", "_execute", 0),
    ("across all steps: ORM compiling SQL (as_sql)", "django/db/models/sql/compiler.py", "as_sql", 0),
]


def profile_steps(stats: Any, count: int, elapsed: float) -> list[dict[str, Any]]:
    rows = []
    for label, suffix, name, depth in PROFILE_STEPS:
        calls, cumulative = 0, 0.0
        for (filename, _line, func), (_cc, nc, _tt, ct, _callers) in stats.stats.items():
            if func == name and filename.replace("\\", "/").endswith(suffix):
                calls += nc
                cumulative += ct
        if calls:
            rows.append(
                {
                    "label": label,
                    "depth": depth,
                    "calls_per_request": calls / count,
                    "ms_per_request": cumulative / count * 1000,
                    "share": cumulative / elapsed,
                }
            )
    return rows


def summarise_sql(captured: list[dict[str, str]]) -> list[str]:
    """The statements of one request, shortened to their verb and table."""
    import re

    out = []
    for q in captured:
        sql = q["sql"]
        sql = re.sub(r"^\s*INSERT OR IGNORE INTO", "INSERT INTO", sql, flags=re.IGNORECASE)
        sql = re.sub(r"\s+ON CONFLICT DO NOTHING\s*$", "", sql, flags=re.IGNORECASE)
        m = re.match(
            r"\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|SAVEPOINT|RELEASE SAVEPOINT|BEGIN|COMMIT)\b(.*)",
            sql,
            re.IGNORECASE | re.DOTALL,
        )
        if not m:
            out.append(sql[:60])
            continue
        verb, rest = m.group(1).upper(), m.group(2)
        if verb == "SELECT":
            t = re.search(r'\bFROM\s+"?(\w+)"?', rest, re.IGNORECASE)
            if t:
                table = t.group(1)
            else:  # SELECT fn(...): name the function
                f = re.match(r"\s*(\w+)", rest)
                table = f.group(1) if f else ""
        elif verb in ("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT"):
            table = ""
        else:
            t = re.match(r'\s*"?(\w+)"?', rest)
            table = t.group(1) if t else ""
        out.append(f"{verb} {table}".strip())
    return out


# ====================================================================== load generator (runs in a subprocess)


def load_main(config: dict[str, Any]) -> dict[str, Any]:
    """Closed loop: `concurrency` threads, keep-alive connections; latency of requests completed in the window."""
    host, port, path = config["host"], config["port"], config["path"]
    headers = {"Content-Type": "application/json", **config.get("headers", {})}
    warmup, seconds = config["warmup"], config["seconds"]
    numbers = itertools.count(config["new_base"])  # next() on a count is atomic under the GIL
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    barrier = threading.Barrier(config["concurrency"] + 1)
    t_start = t_measure = t_end = 0.0

    def worker(index: int) -> None:
        rng = random.Random(config["rng_seed"] * 1000 + index)
        conn = http.client.HTTPConnection(host, port, timeout=60)
        mine: list[float] = []
        seen: dict[str, int] = {}
        barrier.wait()
        while True:
            body = json.dumps(
                make_body(
                    rng, new_number=next(numbers), seed_leads=config["seed_leads"], repeat_share=config["repeat_share"]
                )
            ).encode()
            t0 = time.perf_counter()
            if t0 >= t_end:
                break
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
            t1 = time.perf_counter()
            if t_measure <= t1 <= t_end:
                seen[status] = seen.get(status, 0) + 1
                if status.startswith("2"):
                    mine.append(t1 - t0)
        conn.close()
        with lock:
            latencies.extend(mine)
            for status, count in seen.items():
                statuses[status] = statuses.get(status, 0) + count

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(config["concurrency"])]
    for thread in threads:
        thread.start()
    t_start = time.perf_counter()
    t_measure, t_end = t_start + warmup, t_start + warmup + seconds
    barrier.wait()
    # The server process's own CPU time over the measured window: less disturbed by other work on
    # the machine than wall-clock throughput.
    cpu = []
    for moment in (t_measure, t_end):
        time.sleep(max(0.0, moment - time.perf_counter()))
        cpu.append(common.process_cpu_seconds(config.get("server_pid")))
    for thread in threads:
        thread.join(timeout=warmup + seconds + 120)
    latencies.sort()
    ok = len(latencies)
    errors = {s: c for s, c in statuses.items() if not s.startswith("2")}
    completed = sum(statuses.values())
    cpu_ms = (cpu[1] - cpu[0]) * 1000 / completed if completed and None not in cpu else float("nan")
    return {
        "ok": ok,
        "rps": ok / seconds,
        "cpu_ms": cpu_ms,
        "errors": errors,
        "statuses": statuses,
        "p50_ms": common.percentile(latencies, 50) * 1000,
        "p99_ms": common.percentile(latencies, 99) * 1000,
        "mean_ms": (sum(latencies) / ok * 1000) if ok else float("nan"),
    }


# ====================================================================== orchestration

log = common.logger("intake-bench")


def run_load(config: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--_load"],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        check=False,
        timeout=config["warmup"] + config["seconds"] + 180,
    )
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout)


def bench_backend(backend: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    data_dir, env, pg_base = common.backend_env(
        backend, work, postgres_db=BENCH_DB, postgres_url=args.postgres_url, log=log
    )
    args.pg_base = args.pg_base or pg_base

    log(f"{backend}: migrating and seeding {args.seed_leads:,} leads")
    seed_out = data_dir / "seed.json"
    config = {"seed_leads": args.seed_leads, "out": str(seed_out)}
    if args.profile:
        config.update(profile_out=str(ROOT / "var" / f"intake-profile-{backend}.prof"), profile_count=args.profile)
        (ROOT / "var").mkdir(exist_ok=True)
    subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--_seed", json.dumps(config)],
        env=env,
        check=True,
        cwd=str(ROOT),
    )
    seed = json.loads(seed_out.read_text())
    log(
        f"{backend}: {seed['leads']:,} leads, {seed['identity_keys']:,} identity keys "
        f"(migrate {seed['migrate_s']} s, seed {seed['seed_s']} s); in-process: "
        + ", ".join(
            f"{k} {d['queries']} SQL {d['ms']:.1f} ms"
            for k, d in seed["diagnostics"].items()
            if k in ("bare", "create", "attach")
        )
    )
    if args.profile:
        log(f"{backend}: profile written to {config['profile_out']} (+ .txt)")

    port = common.free_port()
    server = None
    rounds: dict[tuple[int, str], list[dict[str, Any]]] = {}
    run_number = 0
    try:
        server = common.start_server(env, port, args.threads, data_dir / "server.log")
        endpoints = {
            "bare": ("/api/bench/insert", {}),
            "full": ("/api/submissions", {"X-Api-Key": seed["partner_key"]}),
        }
        for r in range(args.rounds):
            for concurrency in args.concurrency:
                for name in ["bare", "full"] if r % 2 == 0 else ["full", "bare"]:
                    path, headers = endpoints[name]
                    run_number += 1
                    result = run_load(
                        {
                            "host": "127.0.0.1",
                            "port": port,
                            "path": path,
                            "headers": headers,
                            "concurrency": concurrency,
                            "warmup": args.warmup,
                            "seconds": args.seconds,
                            "seed_leads": args.seed_leads,
                            "repeat_share": args.repeat_share,
                            # every run submits people nobody has submitted before
                            "new_base": run_number * RUN_NUMBERS,
                            "rng_seed": run_number,
                            "server_pid": server.pid,
                        }
                    )
                    rounds.setdefault((concurrency, name), []).append(result)
                    log(
                        f"{backend} round {r + 1}/{args.rounds} c={concurrency} {name}: {result['rps']:7.1f} req/s  "
                        f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  "
                        f"server CPU {result['cpu_ms']:5.2f} ms/req  {result['statuses']}"
                    )
    finally:
        common.stop_server(server)
    return {"seed": seed, "rounds": rounds}


def summarise(result: dict[str, Any], concurrencies: list[int]) -> dict[int, dict[str, Any]]:
    """Per concurrency: medians over rounds for each endpoint, the full/bare ratio and the verdict."""
    out: dict[int, dict[str, Any]] = {}
    for c in concurrencies:
        level: dict[str, Any] = {}
        for name in ("bare", "full"):
            rounds = result["rounds"][(c, name)]
            statuses: dict[str, int] = {}
            for r in rounds:
                for code, count in r["statuses"].items():
                    statuses[code] = statuses.get(code, 0) + count
            level[name] = {
                "rps": statistics.median(r["rps"] for r in rounds),
                "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
                "p99_ms": statistics.median(r["p99_ms"] for r in rounds),
                "cpu_ms": statistics.median(r["cpu_ms"] for r in rounds),
                "errors": sum(sum(r["errors"].values()) for r in rounds),
                "requests": sum(statuses.values()),
                "statuses": statuses,
            }
        level["ratio"] = level["full"]["rps"] / level["bare"]["rps"] if level["bare"]["rps"] else float("nan")
        level["cpu_ratio"] = (
            level["bare"]["cpu_ms"] / level["full"]["cpu_ms"] if level["full"]["cpu_ms"] else float("nan")
        )
        level["ratio_met"] = level["ratio"] >= TARGET_RATIO
        level["p99_met"] = level["full"]["p99_ms"] < TARGET_P99_MS
        out[c] = level
    return out


def render(
    results: dict[str, dict[str, Any]], args: argparse.Namespace, command: str, started: dt.datetime, elapsed: float
) -> str:
    m = common.machine()
    top = max(args.concurrency)
    db_versions = ", ".join(r["seed"]["db_version"] for r in results.values())
    first = next(iter(results.values()))
    clients = ", ".join(str(c) for c in args.concurrency)
    lines = [
        MARK_START,
        "## Intake: full submit path vs. bare insert",
        "",
        *common.run_lines(command, elapsed / 60, started=started, revision=common.git_revision()),
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM, {m['os']}. The server, the load generator "
        "and the database share these cores; 1-minute load average "
        f"{args.load_before:.2f} before the run and {os.getloadavg()[0]:.2f} after it (other work on the machine "
        "shows up as spread between rounds).",
        f"- Python {platform.python_version()}, Django {common.version('Django')}, "
        f"django-ninja {common.version('django-ninja')}, waitress {common.version('waitress')} "
        f"(one process, `--threads={args.threads}`), psycopg {common.version('psycopg')}; "
        f"{db_versions}. Settings as shipped (`leadflow.settings`, DEBUG off).",
        f"- Base: {args.seed_leads:,} leads before the run (Russian names with a realistic skew, distinct phones "
        f"and e-mails), {first['seed']['identity_keys']:,} identity keys as `matching.register_keys` writes them "
        "(contacts and name keys), a first request, a stage change and a call task per lead; one pool-routed "
        "team with a head and 4 managers; a partner key.",
        f"- Load: a separate process with {clients} client thread(s), keep-alive `http.client`, closed loop; "
        f"{args.rounds} rounds, each measuring both endpoints at each client count for {args.seconds:g} s after "
        f"{args.warmup:g} s of dropped warm-up, bare/full order alternating. Figures are medians over rounds; "
        "only 2xx responses count.",
        f"- Bodies: partner submissions (name, phone, e-mail, UTM, consent); {100 - args.repeat_share * 100:.0f}% "
        f"new people (lead created, 201), {args.repeat_share * 100:.0f}% a seeded person's phone written another "
        "way, `8 (900) ...` against the stored `+7900...` (request attached, 200). The bare endpoint "
        "(`POST /api/bench/insert`) parses the same bodies and inserts one journal row.",
        f"- Target: the full path keeps ≥ {TARGET_RATIO:.0%} of the bare insert's throughput, with p99 < "
        f"{TARGET_P99_MS:g} ms at the rate measured (judged at {top} clients, where both endpoints are saturated).",
        "",
        "| backend | clients | bare req/s | bare p50 / p99 ms | full req/s | full p50 / p99 ms | full/bare "
        "| app CPU ms/req, bare / full (ratio) | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for backend, result in results.items():
        for c, level in result["summary"].items():
            b, f = level["bare"], level["full"]
            lines.append(
                f"| {backend} | {c} | {b['rps']:.1f} | {b['p50_ms']:.1f} / {b['p99_ms']:.1f} | **{f['rps']:.1f}** | "
                f"{f['p50_ms']:.1f} / **{f['p99_ms']:.1f}** | **{level['ratio']:.2f}** | "
                f"{b['cpu_ms']:.2f} / {f['cpu_ms']:.2f} ({level['cpu_ratio']:.2f}) | {b['errors'] + f['errors']} |"
            )
    lines += ["", "### Verdict", ""]
    for backend, result in results.items():
        level = result["summary"][top]
        f, b = level["full"], level["bare"]
        met = level["ratio_met"] and level["p99_met"]
        misses = []
        if not level["ratio_met"]:
            misses.append(f"throughput ratio {level['ratio']:.2f} < {TARGET_RATIO}")
        if not level["p99_met"]:
            misses.append(f"p99 {f['p99_ms']:.0f} ms ≥ {TARGET_P99_MS:g} ms")
        created, attached = f["statuses"].get("201", 0), f["statuses"].get("200", 0)
        lines.append(
            f"- **{backend}: target {'met' if met else 'NOT met'}**"
            + (f" ({'; '.join(misses)})" if misses else "")
            + f". At {top} clients the full path served {f['rps']:.1f} leads/s against {b['rps']:.1f} bare "
            f"inserts/s, p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms ({created:,} created, {attached:,} "
            f"attached in the measured windows). Counted in the app server's own CPU time, a full-path request "
            f"costs {f['cpu_ms']:.1f} ms against {b['cpu_ms']:.2f} ms for the bare insert ({level['cpu_ratio']:.2f}), "
            "so the shortfall is the work per request, not noise." + floor_note(result["seed"]["diagnostics"])
        )
    lines += ["", "Per round, req/s · p50 ms · p99 ms · app CPU ms/req:", ""]
    for backend, result in results.items():
        for (c, name), rounds in result["rounds"].items():
            cells = "; ".join(
                f"{r['rps']:.1f} · {r['p50_ms']:.1f} · {r['p99_ms']:.1f} · {r['cpu_ms']:.2f}" for r in rounds
            )
            lines.append(f"- {backend}, {c} client(s), {name}: {cells}")
    lines += [
        "",
        "In-process, one thread, no HTTP (Django test client against the seeded base; median of 40 "
        "requests each): SQL statements and time per request, and of that time the part spent inside the "
        "database driver (every statement, BEGIN and COMMIT; another 40 requests).",
        "",
        "| backend | bare insert | full path, new lead | full path, repeat attached |",
        "|---|---|---|---|",
    ]

    def cell(d: dict[str, Any]) -> str:
        db = f" (in the driver {d['db_ms']:.1f} ms)" if "db_ms" in d else ""
        return f"{d['queries']} SQL, {d['ms']:.1f} ms{db}"

    for backend, result in results.items():
        d = result["seed"]["diagnostics"]
        lines.append(f"| {backend} | {cell(d['bare'])} | {cell(d['create'])} | {cell(d['attach'])} |")
    for backend, result in results.items():
        stmts = result["seed"]["diagnostics"].get("create_statements", [])
        if stmts:
            lines += [
                "",
                f"Statements of one new-lead submission on {backend}: " + ", ".join(f"`{st}`" for st in stmts) + ".",
            ]
    profiles = {b: r["seed"]["diagnostics"].get("profile") for b, r in results.items()}
    if all(profiles.values()):
        names = list(profiles)
        lines += [
            "",
            "Where the time of a full-path request goes, in-process under cProfile (which inflates Python-heavy "
            "parts; read the shares), "
            + ", ".join(f"{b}: {p['count']} mixed submissions, {p['ms']:.1f} ms each" for b, p in profiles.items())
            + ". Milliseconds per request (averaged over all requests) and share of the total:",
            "",
            "| step | " + " | ".join(names) + " |",
            "|---|" + "---:|" * len(names),
        ]
        by_backend = {b: {row["label"]: row for row in p["steps"]} for b, p in profiles.items()}
        for label, _suffix, _name, depth in PROFILE_STEPS:
            if not any(label in by_backend[b] for b in names):
                continue
            cells = []
            for b in names:
                row = by_backend[b].get(label)
                cells.append(f"{row['ms_per_request']:.1f} ms ({row['share']:.0%})" if row else "–")
            indent = "&nbsp;&nbsp;" * depth
            lines.append(f"| {indent}{label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "App CPU is the waitress process's user + system CPU time over each measured window divided by the "
        "requests completed in it (on PostgreSQL the database server's CPU is not included). The app server is "
        "one Python process, so it can use about one core; its CPU per request bounds its throughput and is "
        "much less disturbed by other load on the machine than the wall-clock figures. "
        "Latency is measured in a closed loop, so at saturation it includes queueing for a server thread, the "
        "GIL and the database's write lock (Little's law: mean latency ≈ clients / throughput). The 1-client "
        "row is the unloaded service time over HTTP.",
        MARK_END,
    ]
    return "\n".join(lines) + "\n"


def floor_note(d: dict[str, Any]) -> str:
    """What the database driver alone spends on a new lead, against the whole bare request (in-process)."""
    if "db_ms" not in d.get("create", {}):
        return ""
    create, bare = d["create"], d["bare"]
    return (
        f" In-process, the database driver alone (its {create['queries']} statements and commits) takes "
        f"{create['db_ms']:.1f} ms of a new lead's {create['ms']:.1f} ms, against {bare['ms']:.1f} ms for the whole "
        f"bare request ({bare['db_ms']:.1f} ms of it in the driver)."
    )


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "--_load":
        print(json.dumps(load_main(json.loads(sys.stdin.read()))))
        return
    if len(sys.argv) >= 3 and sys.argv[1] == "--_seed":
        seed_main(json.loads(sys.argv[2]))
        return

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seed-leads", type=int, default=100_000, help="leads in the base before the run")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per endpoint per round")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds dropped at the start of each measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating bare/full rounds; medians are reported")
    parser.add_argument(
        "--concurrency",
        default="1,4",
        help="client threads (closed loop); a comma-separated list measures each, the target is judged at the largest",
    )
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    parser.add_argument(
        "--repeat-share", type=float, default=0.2, help="share of submissions repeating a seeded person"
    )
    parser.add_argument(
        "--postgres-url",
        help="server to create the leadflow_bench database on "
        "(default: $LEADFLOW_BENCH_POSTGRES_URL, else start scripts/postgres.sh)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also cProfile N full-path submissions in-process per backend into var/intake-profile-*",
    )
    parser.add_argument("--no-doc", action="store_true", help="print the section instead of writing docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory and database")
    args = parser.parse_args()
    args.pg_base = None
    args.concurrency = sorted({int(c) for c in str(args.concurrency).split(",") if c.strip()})
    if not args.concurrency or min(args.concurrency) < 1 or args.rounds < 1:
        parser.error("--concurrency needs positive integers and --rounds at least 1")
    if (args.rounds * len(args.concurrency) * 2 + 1) * RUN_NUMBERS >= 10**7:
        parser.error("too many rounds x client counts for the 7-digit phone numbers of new people")

    command = ".venv/bin/python benchmarks/intake.py" + "".join(f" {a}" for a in sys.argv[1:])
    started = dt.datetime.now(dt.UTC)
    args.load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="leadflow-intake-bench-"))
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results: dict[str, dict[str, Any]] = {}
    try:
        for backend in backends:
            result = bench_backend(backend, args, work)
            result["summary"] = summarise(result, args.concurrency)
            results[backend] = result
    finally:
        if args.keep:
            log(f"kept {work}" + (f" and database {BENCH_DB}" if args.pg_base else ""))
        else:
            shutil.rmtree(work, ignore_errors=True)
            if args.pg_base:
                with contextlib.suppress(Exception):
                    common.recreate_postgres_db(args.pg_base, BENCH_DB, drop_only=True)
    section = render(results, args, command, started, time.perf_counter() - t0)
    if args.no_doc:
        print(section)
    else:
        common.write_section("intake", section)
        log(f"wrote {DOC.relative_to(ROOT)}")
    for backend, result in results.items():
        for c, level in result["summary"].items():
            f = level["full"]
            verdict = "target met" if level["ratio_met"] and level["p99_met"] else "target NOT met"
            print(
                f"{backend} c={c}: bare {level['bare']['rps']:.1f} req/s, full {f['rps']:.1f} req/s "
                f"(p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms), ratio {level['ratio']:.2f}"
                + (f" -> {verdict}" if c == max(args.concurrency) else "")
            )


if __name__ == "__main__":
    main()
