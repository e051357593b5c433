"""The reports (DOMAIN.md 18-21), read-only, each computed by the database's aggregation.

Every figure is a GROUP BY or a window over indexed rows; Python only reshapes the few grouped rows
into tables (one row per manager, source, month ...), never walks leads or activities. The one exception is
working time (speed to lead), which needs each team's calendar: four columns of the cohort's contacted leads are
read in one query and counted in Python.

Conventions, stated once:
- A lead belongs to the local day (the user's zone) it was created in; the period is a range of local days.
- Funnel, conversion, speed and costs follow the cohort of leads *created* in the period (what became
  of them, until now); refusals follow leads refused in the period; tasks and activities their own dates.
- Qualified: the lead reached a qualified stage by its stage history (or converted); the history is summed up
  per lead as `Lead.stage_reach`, kept by every stage change (see leads.models.REACH_QUALIFIED).
- Percentiles are nearest-rank: the median of 1, 2, 3, 4 is 2; the 90th percentile of ten values is the 9th.
- Renewing client: a client of the cohort with two or more deals (bought again).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    DateField,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import Team, User
from leadflow.analytics.filters import (
    ReportFilter,
    client_scope,
    in_teams_at,
    is_marketer,
    lead_scope,
    people_in_scope,
    report_teams,
)
from leadflow.analytics.tables import Chart, Column, Report, Table
from leadflow.clients.models import Client, Deal
from leadflow.core.worktime import WorkingClock
from leadflow.intake.attribution import creating_submissions
from leadflow.leads.models import (
    REACH_QUALIFIED,
    TEST_ENTRY_REASON,
    Activity,
    ActivityKind,
    Channel,
    Interest,
    Lead,
    LeadState,
    LostReason,
    Stage,
    Task,
)
from leadflow.leads.querysets import headed_team_ids
from leadflow.leads.routing import team_calendar
from leadflow.marketing.models import Campaign, CampaignSpend, ExtraCost, Source

# DOMAIN.md 20: a lead normally has 3-5 of these filled, a client 10-15 of its list.
LEAD_CARD_FIELDS = ("full_name", "phone", "email", "company_name", "position", "city", "product_interest",
                    "deal_type")
CLIENT_CARD_FIELDS = ("name", "company__inn", "company__kpp", "company__ogrn", "company__okpo",
                      "company__legal_address", "company__city", "company__phone", "company__website",
                      "contact__full_name", "contact__position", "contact__phone", "contact__email")
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


# ---------------------------------------------------------------- shared pieces


def leads(report_filter: ReportFilter, user: User) -> QuerySet[Lead]:
    """The cohort: leads created in the period, in the user's scope, sliced by the filter."""
    qs = Lead.objects.exclude(state=LeadState.MERGED).filter(
        lead_scope(user), created_at__gte=report_filter.since, created_at__lt=report_filter.until
    )
    return slice_leads(qs, report_filter)


def slice_leads(qs: QuerySet[Lead], report_filter: ReportFilter, prefix: str = "") -> QuerySet:
    conditions: dict[str, Any] = {}
    if report_filter.team is not None:
        conditions["team_id"] = report_filter.team
    if report_filter.manager is not None:
        conditions["owner_id"] = report_filter.manager
    if report_filter.source is not None:
        conditions["source_id"] = report_filter.source
    if report_filter.campaign is not None:
        conditions["campaign_id"] = report_filter.campaign
    qs = qs.filter(**{prefix + key: value for key, value in conditions.items()})
    if report_filter.medium:
        # A lead whose touch gave no UTM medium has its source's default one, as the source's spend has
        # (spend_rows): "cpc" counts the Yandex leads of a form that passed utm_source only.
        qs = qs.filter(Q(**{prefix + "utm_medium": report_filter.medium})
                       | Q(**{prefix + "utm_medium": "", prefix + "source__medium": report_filter.medium}))
    # A lead's form or partner is the one whose submission created it (the journal keeps it); after a merge, the
    # first touch's, so the person merged from two cards is one form's or one partner's lead, not both.
    created = creating_submissions()
    if report_filter.form is not None:
        qs = qs.filter(**{prefix + "pk__in": created.filter(form_id=report_filter.form).values("lead_id")})
    if report_filter.partner is not None:
        qs = qs.filter(**{prefix + "pk__in": created.filter(partner_id=report_filter.partner).values("lead_id")})
    return qs


def bucket(report_filter: ReportFilter, field_name: str) -> Any:
    return local_bucket(field_name, report_filter.interval, report_filter.start, report_filter.end,
                        report_filter.zone)


def period_starts(interval: str, start: date, end: date) -> list[date]:
    """Every day, week (from Monday) or month from `start` to `end`."""
    first = start
    if interval == "week":
        first -= timedelta(days=first.weekday())
    elif interval == "month":
        first = first.replace(day=1)
    out = []
    while first <= end:
        out.append(first)
        if interval == "day":
            first += timedelta(days=1)
        elif interval == "week":
            first += timedelta(days=7)
        else:
            first = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def period_kind(report_filter: ReportFilter) -> str:
    """How a period column shows its dates: a month by its name, a day or a week by its (first) day."""
    return "month" if report_filter.interval == "month" else "date"


def periods(report_filter: ReportFilter) -> list[date]:
    """The period's days, weeks or months, so a time series shows its empty stretches."""
    return period_starts(report_filter.interval, report_filter.start, report_filter.end)


def local_bucket(field_name: str, interval: str, start: date, end: date, zone: Any) -> Any:
    """The local day / week / month a stored UTC time falls in, for times between `start` and `end` (local days).

    PostgreSQL truncates in the zone itself. SQLite has no time zones, and Django's fallback calls Python
    for every row; so there the local period boundaries (DST included, computed here by zoneinfo) become a
    balanced CASE the database walks in a few comparisons per row.
    """
    if connection.vendor == "postgresql":
        trunc = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}[interval]
        return trunc(field_name, tzinfo=zone)
    starts = period_starts(interval, start, end)
    bounds = [datetime.combine(day, time.min, tzinfo=zone) for day in starts]
    after = period_starts(interval, end, end)[0]
    following = (after + timedelta(days=1) if interval == "day" else after + timedelta(days=7)
                 if interval == "week" else (after.replace(day=28) + timedelta(days=4)).replace(day=1))
    limit = datetime.combine(following, time.min, tzinfo=zone)

    def pick(low: int, high: int) -> Any:  # periods[low:high]
        if high - low == 1:
            return Value(starts[low], output_field=DateField())
        middle = (low + high) // 2
        return Case(When(**{f"{field_name}__lt": bounds[middle]}, then=pick(low, middle)),
                    default=pick(middle, high), output_field=DateField())

    inside = Q(**{f"{field_name}__gte": bounds[0]}) & Q(**{f"{field_name}__lt": limit})
    return Case(When(inside, then=pick(0, len(starts))), default=Value(None, output_field=DateField()),
                output_field=DateField())


class Seconds(Func):
    """`later - earlier` in seconds, computed by the database (no Python call per row on SQLite)."""

    output_field = FloatField()

    def __init__(self, later: str, earlier: str):
        super().__init__(F(later), F(earlier))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection,
                           template="((julianday(%(expressions)s)) * 86400.0)", arg_joiner=") - julianday(", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))::float",
                           arg_joiner=" - ", **extra)


def as_local_date(value: Any, report_filter: ReportFilter) -> date | None:
    if value is None:
        return None
    if hasattr(value, "astimezone"):
        return value.astimezone(report_filter.zone).date()
    return value


def percent(part: Any, whole: Any) -> Decimal | None:
    if not whole or part is None:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def shares(counts: list[int]) -> list[Decimal | None]:
    """Each count's share of their sum in tenths of a percent, adding up to exactly 100.0 (largest remainders:
    three equal parts are 33.4, 33.3, 33.3, not 33.3 three times, which a reader adds up to 99.9)."""
    total = sum(counts)
    if not total:
        return [None] * len(counts)
    tenths = [n * 1000 // total for n in counts]
    remainders = sorted(range(len(counts)), key=lambda i: (-(counts[i] * 1000 % total), i))
    for i in remainders[: 1000 - sum(tenths)]:
        tenths[i] += 1
    return [Decimal(t) / 10 for t in tenths]


def money(amount: Any) -> Decimal | None:
    """An amount as shown and exported: two decimals (a sum read back from SQLite has as many as it likes)."""
    return None if amount is None else Decimal(amount).quantize(CENT, ROUND_HALF_UP)


def ratio(amount: Any, count: Any) -> Decimal | None:
    if not count or amount is None:
        return None
    return (Decimal(amount) / Decimal(count)).quantize(CENT, ROUND_HALF_UP)


def percentiles_by(qs: QuerySet, groups: dict[str, Any], seconds: Any,
                   fractions: tuple[float, ...] = (0.5, 0.9)) -> dict[str, dict]:
    """Nearest-rank percentiles of `seconds` per group, by CUME_DIST in the database, for several groupings of the
    same rows at once: name -> {group: [seconds]}.

    The rows are read once into a materialized common table and ranked per grouping from it, in one statement.
    One query per grouping read the rows again each time: on SQLite, where a converted cohort is found
    by the (state, created_at) index and each row's times and groups are then read from the wide lead row, six
    groupings were six times that (0.6 s of a quarter's conversion report at 1,000,000 leads)."""
    names = list(groups)
    keys = [f"pct_{i}" for i in range(len(names))]
    inner = (qs.order_by().annotate(pct_value=seconds, **dict(zip(keys, groups.values(), strict=True)))
             .filter(pct_value__isnull=False).values(*keys, "pct_value"))
    sql, params = inner.query.sql_with_params()
    picks = ", ".join(f"MIN(CASE WHEN w.pct_rank >= {f - 1e-9:.10f} THEN w.pct_value END)" for f in fractions)
    selects = []
    for i, key in enumerate(keys):
        # An unused key is a NULL of its own column's type (PostgreSQL types a UNION's columns from the first).
        columns = ", ".join(f"w.{other}" if other == key else f"MIN(CASE WHEN 1 = 0 THEN w.{other} END)"
                            for other in keys)
        # Only the ORM's own SQL, fixed names and fixed numbers are put together here; values travel as parameters.
        ranked = f"SELECT r.*, CUME_DIST() OVER (PARTITION BY r.{key} ORDER BY r.pct_value) AS pct_rank FROM r"  # noqa: S608
        selects.append(f"SELECT {i}, {columns}, {picks} FROM ({ranked}) w GROUP BY w.{key}")  # noqa: S608
    query = f"WITH r AS MATERIALIZED ({sql}) " + " UNION ALL ".join(selects)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    out: dict[str, dict] = {name: {} for name in names}
    for index, *values in rows:
        expression = inner.query.annotations[keys[index]]
        convert = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        group = _converted(values[index], convert, connection, expression)
        out[names[index]][group] = [None if v is None else round(float(v), 3) for v in values[len(keys):]]
    return out


def count_if(condition: Q) -> Count:
    """Rows meeting `condition`, as COUNT(CASE WHEN ... THEN 1 END): unlike COUNT(id) FILTER (...) it needs no
    column beyond the condition's, so PostgreSQL can answer from a covering index alone."""
    return Count(Case(When(condition, then=Value(1)), output_field=IntegerField()))


def _converted(value: Any, converters: list, db: Any, expression: Any = None) -> Any:
    """A group key read by raw SQL, made the same value the ORM gives (a date string on SQLite is a date)."""
    for converter in converters:
        value = converter(value, expression, db)
    return value


def days(seconds: float | None) -> Decimal | None:
    return None if seconds is None else Decimal(seconds / 86400).quantize(Decimal("0.1"), ROUND_HALF_UP)


def minutes(seconds: float | None) -> Decimal | None:
    return None if seconds is None else Decimal(seconds / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _names(model: Any, ids: Any, label: Callable[[Any], str] = str) -> dict[Any, str]:
    ids = [pk for pk in ids if pk is not None]
    return {row.pk: label(row) for row in model.objects.filter(pk__in=ids)}


def _person(user: User) -> str:
    return user.display_name()


NONE_LABEL = _("(none)")
POOL_LABEL = _("(pool)")


# ---------------------------------------------------------------- funnel (DOMAIN.md 18)


def funnel(report_filter: ReportFilter, user: User) -> Report:
    cohort = leads(report_filter, user)
    series, stages = _funnel_tables(cohort, report_filter)
    # The rings are the sums of the series: one pass over the cohort's stage history, not two.
    counts = {key: sum(row[key] for row in series.rows) for key in ("leads", "qualified", "clients")}
    renewing = (
        Deal.objects.filter(client__lead__in=cohort.filter(state=LeadState.CONVERTED).values("pk"))
        .values("client_id").annotate(deals=Count("*")).filter(deals__gte=2).count()
    )
    traffic = None if report_filter.has_sales_slice else spend_rows(report_filter).aggregate(n=Sum("clicks"))["n"] or 0
    # Leads convert from traffic only as far as they came through the counted clicks, as the cost report's site
    # conversion counts them: 4 leads from 100 clicks plus 3 from a phone call are 4 %, not 7 % (the two pages had
    # told the marketer 0.6 % and 0.2 % for one period).
    clicked = None if traffic is None else cohort.filter(
        campaign_id__in=spend_rows(report_filter).order_by().values("campaign_id")).count()
    interests = None
    if report_filter.manager is None and report_filter.form is None and report_filter.partner is None:
        # A test entry ("Test Test") is no one's attention: left out here as it is from the leads (and spam from both).
        interest_qs = Interest.objects.filter(created_at__gte=report_filter.since,
                                              created_at__lt=report_filter.until).exclude(reason=TEST_ENTRY_REASON)
        if not (user.is_admin or is_marketer(user)):
            interest_qs = interest_qs.filter(team_id__in=headed_team_ids(user))
        interest_qs = slice_leads(interest_qs, _without_people(report_filter))
        interests = interest_qs.count()
    steps = [
        ("traffic", _("Traffic (clicks)"), traffic), ("interests", _("Interests"), interests),
        ("leads", _("Leads"), counts["leads"]), ("qualified", _("Qualified"), counts["qualified"]),
        ("clients", _("New clients"), counts["clients"]), ("renewing", _("Renewing clients"), renewing),
    ]
    rows, previous = [], None
    for key, label, count in steps:
        came = clicked if key == "leads" and clicked is not None else count
        rows.append({"step": label, "key": key, "count": count,
                     "conversion": percent(came, previous) if previous is not None else None})
        # Interests are a side ring (attention without a person): leads convert from traffic, not from them.
        if count is not None and key != "interests":
            previous = count
    steps_table = Table(
        "steps", _("Funnel"),
        [Column("step", _("Step")), Column("count", _("Count"), "int"),
         Column("conversion", _("From the step before, %"), "percent")],
        rows, Chart("funnel", "step", ["count"]),
        note=_("Interests are anonymous attention (not leads); traffic is the clicks imported per campaign. Leads "
               "from traffic are those of the campaigns whose clicks are counted (the cost report's site "
               "conversion), not the leads that came by phone, e-mail or a partner."),
    )
    return Report("funnel", _("Funnel"), [steps_table, stages, series])


def _without_people(report_filter: ReportFilter) -> ReportFilter:
    from dataclasses import replace

    return replace(report_filter, manager=None, form=None, partner=None)


def is_qualified(code: int | None, state: str) -> bool:
    return state == LeadState.CONVERTED or (code or 0) >= REACH_QUALIFIED


def _funnel_tables(cohort: QuerySet[Lead], report_filter: ReportFilter) -> tuple[Table, Table]:
    """The series and the stages reached, from one grouped pass over the cohort and its stage history."""
    grouped = (
        cohort.order_by().annotate(period=bucket(report_filter, "created_at"), reach=F("stage_reach"))
        .values("period", "reach", "state").annotate(n=Count("*"))
    )
    by_period: dict[date, dict[str, int]] = {}
    reached: dict[int, int] = {}
    for row in grouped:  # one row per (period, stage code, state): a few hundred, not leads
        period = as_local_date(row["period"], report_filter)
        figures = by_period.setdefault(period, {"leads": 0, "qualified": 0, "clients": 0})
        figures["leads"] += row["n"]
        figures["qualified"] += row["n"] if is_qualified(row["reach"], row["state"]) else 0
        figures["clients"] += row["n"] if row["state"] == LeadState.CONVERTED else 0
        top = (row["reach"] or 0) % REACH_QUALIFIED
        reached[top] = reached.get(top, 0) + row["n"]
    empty = {"leads": 0, "qualified": 0, "clients": 0}
    rows = []
    for period in periods(report_filter):
        figures = by_period.get(period, empty)
        rows.append({"period": period, **figures, "conversion": percent(figures["clients"], figures["leads"])})
    series = Table(
        "series", _("Leads over time"),
        [Column("period", _("Period"), period_kind(report_filter)), Column("leads", _("Leads"), "int"),
         Column("qualified", _("Qualified"), "int"), Column("clients", _("New clients"), "int"),
         Column("conversion", _("Conversion, %"), "percent")],
        rows, Chart("line", "period", ["leads", "qualified", "clients"]),
    )
    total = sum(reached.values())
    stage_rows, previous = [], None
    for stage in Stage.objects.exclude(kind="lost").order_by("position", "pk"):
        count = sum(n for top, n in reached.items() if top >= stage.position and top > 0)
        stage_rows.append({"stage": str(stage), "count": count, "share": percent(count, total),
                           "conversion": percent(count, previous) if previous is not None else None})
        previous = count
    stages = Table(
        "stages", _("Leads by the stage they reached"),
        [Column("stage", _("Stage")), Column("count", _("Leads"), "int"),
         Column("share", _("Of all leads, %"), "percent"),
         Column("conversion", _("From the stage before, %"), "percent")],
        stage_rows, Chart("funnel", "stage", ["count"]),
    )
    return series, stages


# ---------------------------------------------------------------- conversion (DOMAIN.md 19)

def time_to_convert() -> Seconds:
    return Seconds("converted_at", "created_at")


def conversion(report_filter: ReportFilter, user: User) -> Report:
    cohort = leads(report_filter, user)
    zone = report_filter.zone
    month = local_bucket("created_at", "month", report_filter.start, report_filter.end, zone)
    won = local_bucket("converted_at", "month", report_filter.start,
                       max(report_filter.end, report_filter.now.astimezone(zone).date()), zone)
    grouped = _conversion_counts(cohort.annotate(made=month, won=won))
    dimensions: list[tuple[str, Any, str, Any, Callable[[Any], Any] | None]] = [
        ("source", _("By source"), "source_id", F("source_id"), lambda ids: _names(Source, ids)),
        ("campaign", _("By campaign"), "campaign_id", F("campaign_id"), lambda ids: _names(Campaign, ids)),
        ("manager", _("By manager"), "owner_id", F("owner_id"), lambda ids: _names(User, ids, _person)),
        # DOMAIN.md 19: per offer too, the product the person asked about.
        ("offer", _("By offer (product interest)"), "product_interest", F("product_interest"),
         lambda values: {value: value for value in values if value}),
        ("month", _("By month"), "made", month, None),
    ]
    converted = cohort.filter(state=LeadState.CONVERTED)
    speeds = percentiles_by(converted, {"total": Value(1), **{key: group for key, _t, _c, group, _l in dimensions}},
                            time_to_convert())
    total = _conversion_rows(grouped, None, speeds["total"],
                             lambda ids: {1: str(_("All leads"))}, report_filter, _("All"))
    tables = [_conversion_table("total", _("Lead-to-client conversion"), total, None)]
    for key, title, column, _group, labels in dimensions:
        speed = speeds[key]
        # Leads nobody claimed yet are the pool's, as in the speed, refusals and deferred tables.
        rows = _conversion_rows(grouped, column, speed, labels, report_filter,
                                POOL_LABEL if key == "manager" else NONE_LABEL)
        # The offer is text typed into public forms: shown in the table (escaped), not handed to the chart's script.
        chart = None if key == "offer" else Chart("line" if key == "month" else "bar", "label", ["conversion"])
        tables.append(_conversion_table(key, title, rows, chart))
    tables.append(_cohorts(grouped, report_filter))
    return Report("conversion", _("Conversion"), tables)


CONVERSION_SETS = {"total": (), "source_id": ("source_id",), "campaign_id": ("campaign_id",),
                   "owner_id": ("owner_id",), "product_interest": ("product_interest",), "made": ("made", "won")}
CONVERSION_COLUMNS = ("source_id", "campaign_id", "owner_id", "product_interest", "made", "won")


def _conversion_counts(cohort: QuerySet[Lead]) -> dict[str, list[dict[str, Any]]]:
    """Every count of the conversion report (a few hundred rows back, not leads), per grouping set.

    PostgreSQL reads the cohort once into a materialized common table and groups it six ways in one statement
    (hash aggregates, what GROUPING SETS does). SQLite sorts to group: there, writing the cohort's rows into the
    common table and sorting them six times cost more than six grouped reads of the covering analytics index
    (1.0 s against 0.7 s for a quarter at 1,000,000 leads), so it asks six grouped queries."""
    if connection.vendor == "sqlite":
        return _conversion_counts_apart(cohort)
    columns = (*CONVERSION_COLUMNS, "state")
    inner = cohort.order_by().values(*columns)
    sql, params = inner.query.sql_with_params()
    selects = []
    for name, keys in CONVERSION_SETS.items():
        # An unused column is a NULL of the column's own type (PostgreSQL types a UNION's columns from the first).
        picked = ", ".join(f"c.{col}" if col in keys else f"MIN(CASE WHEN 1 = 0 THEN c.{col} END)"
                          for col in CONVERSION_COLUMNS)
        group = ", ".join([*(f"c.{key}" for key in keys), "c.converted"])
        # Only the ORM's own SQL and fixed names are put together here; values travel as parameters.
        selects.append(f"SELECT '{name}', {picked}, c.converted, COUNT(*) FROM c GROUP BY {group}")  # noqa: S608
    head = "WITH c AS MATERIALIZED (SELECT cohort.*, CASE WHEN cohort.state = %s THEN 1 ELSE 0 END AS converted FROM ("
    query = f"{head}{sql}) cohort) " + " UNION ALL ".join(selects)
    with connection.cursor() as cursor:
        cursor.execute(query, (LeadState.CONVERTED, *params))
        rows = cursor.fetchall()
    expressions = {name: inner.query.annotations[name] for name in ("made", "won")}
    convert = {name: connection.ops.get_db_converters(expr) + expr.get_db_converters(connection)
               for name, expr in expressions.items()}
    grouped: dict[str, list[dict[str, Any]]] = {name: [] for name in CONVERSION_SETS}
    for name, *values, converted, n in rows:
        row = dict(zip(CONVERSION_COLUMNS, values, strict=True))
        for key in ("made", "won"):
            if row[key] is not None:
                row[key] = _converted(row[key], convert[key], connection, expressions[key])
        row.update(n=n, converted=bool(converted))
        grouped[name].append(row)
    return grouped


def _conversion_counts_apart(cohort: QuerySet[Lead]) -> dict[str, list[dict[str, Any]]]:
    """`_conversion_counts` as one grouped query per set, each over the cohort's covering index."""
    converted = Case(When(state=LeadState.CONVERTED, then=Value(1)), default=Value(0), output_field=IntegerField())
    grouped: dict[str, list[dict[str, Any]]] = {}
    for name, keys in CONVERSION_SETS.items():
        rows = cohort.order_by().annotate(is_converted=converted).values(*keys, "is_converted").annotate(n=Count("*"))
        grouped[name] = [{**dict.fromkeys(CONVERSION_COLUMNS), **{key: row[key] for key in keys}, "n": row["n"],
                          "converted": bool(row["is_converted"])} for row in rows]
    return grouped


def _conversion_rows(grouped: dict[str, list[dict[str, Any]]], column: str | None, speed: dict,
                     labels: Callable[[Any], Any] | None, report_filter: ReportFilter,
                     none_label: Any) -> list[dict[str, Any]]:
    """Leads, clients and time to convert per value of `column` (None: one row for all leads)."""
    counts: dict[Any, list[int]] = {}
    for row in grouped[column or "total"]:
        figures = counts.setdefault(1 if column is None else row[column], [0, 0])
        figures[0] += row["n"]
        figures[1] += row["n"] if row["converted"] else 0
    names = labels(list(counts)) if labels else {}
    rows = []
    for key in sorted(counts, key=lambda k: (k is None, k)):
        leads_n, clients = counts[key]
        median, p90 = speed.get(key, [None, None])
        label = as_local_date(key, report_filter) if labels is None else names.get(key, none_label)
        rows.append({"label": label if key is not None else none_label, "leads": leads_n,
                     "clients": clients, "conversion": percent(clients, leads_n),
                     "median_days": days(median), "p90_days": days(p90)})
    if labels is not None:
        rows.sort(key=lambda r: (-r["leads"], str(r["label"])))
    return rows


def _conversion_table(key: str, title: Any, rows: list[dict[str, Any]], chart: Chart | None) -> Table:
    return Table(
        key, title,
        [Column("label", _("Month") if key == "month" else _("Group"), "month" if key == "month" else "text"),
         Column("leads", _("Leads"), "int"), Column("clients", _("Clients"), "int"),
         Column("conversion", _("Conversion, %"), "percent"),
         Column("median_days", _("Time to convert, median, days"), "decimal"),
         Column("p90_days", _("Time to convert, 90th percentile, days"), "decimal")],
        rows, chart,
    )


COHORT_MONTHS = 6


def _month_index(value: date) -> int:
    return value.year * 12 + value.month - 1


def _cohorts(grouped: dict[str, list[dict[str, Any]]], report_filter: ReportFilter) -> Table:
    """Leads created in month M and converted by the end of month M+k (cumulative)."""
    zone = report_filter.zone
    by_month: dict[date, dict[str, Any]] = {}
    for row in grouped["made"]:  # one row per (month created, month converted, converted): a handful, not leads
        made = as_local_date(row["made"], report_filter)
        entry = by_month.setdefault(made, {"month": made, "leads": 0, "offsets": [0] * COHORT_MONTHS})
        entry["leads"] += row["n"]
        if row["won"] is not None:
            offset = _month_index(as_local_date(row["won"], report_filter)) - _month_index(made)
            for k in range(max(offset, 0), COHORT_MONTHS):
                entry["offsets"][k] += row["n"]
    current = _month_index(report_filter.now.astimezone(zone).date())
    rows = []
    for made in sorted(by_month):
        entry = by_month[made]
        row = {"month": made, "leads": entry["leads"]}
        for k in range(COHORT_MONTHS):
            row[f"m{k}"] = percent(entry["offsets"][k], entry["leads"]) if _month_index(made) + k <= current else None
        rows.append(row)
    columns = [Column("month", _("Month created"), "month"), Column("leads", _("Leads"), "int")]
    columns += [Column(f"m{k}", _("Converted by month +%(k)d, %%") % {"k": k}, "percent") for k in range(COHORT_MONTHS)]
    return Table("cohorts", _("Cohorts"), columns, rows,
                 note=_("Share of the leads created in a month that converted by the end of that month plus k."))


# ---------------------------------------------------------------- speed to lead


def speed(report_filter: ReportFilter, user: User) -> Report:
    # The deadline is the one set when the lead was first routed (its first task's due time, kept on the card).
    # Leads still with marketing are not with sales yet: not in the report until handed over.
    # Imported files (an exhibition's contacts, an old base) keep a first task but are no live request waiting for a
    # call: like the SLA warnings (imports.services), speed to lead leaves them out.
    cohort = (leads(report_filter, user).filter(sales_since__isnull=False).exclude(channel=Channel.IMPORT)
              .annotate(sla_due=F("sla_due_at")))
    within = Q(first_contacted_at__isnull=False, first_contacted_at__lte=F("sla_due"))
    # A lead still inside its deadline, not called yet, is neither in nor out of the SLA yet.
    decided = Q(sla_due__isnull=False) & (Q(first_contacted_at__isnull=False) | Q(sla_due__lt=report_filter.now))
    # One grouped pass by (manager, team); the two tables are sums of its few rows.
    grouped = list(cohort.order_by().values("owner_id", "team_id").annotate(
        leads=Count("*"), contacted=count_if(Q(first_contacted_at__isnull=False)),
        within=count_if(within), decided=count_if(decided),
    ))
    breach_count = sum(row["decided"] - row["within"] for row in grouped)
    clocks = _working_clocks({row["team_id"] for row in grouped})
    waits = _first_contact_waits(cohort, clocks)
    tables = []
    for key, title, group, labels, none_label in (
        ("manager", _("By manager"), "owner_id", lambda ids: _names(User, ids, _person), POOL_LABEL),
        ("team", _("By team"), "team_id", lambda ids: _names(Team, ids), NONE_LABEL),
    ):
        sums: dict[Any, dict[str, int]] = {}
        for row in grouped:
            target = sums.setdefault(row[group], {"leads": 0, "contacted": 0, "within": 0, "decided": 0})
            for name in target:
                target[name] += row[name]
        timing: dict[Any, list[float]] = {}
        for owner_id, team_id, seconds in waits:
            timing.setdefault(owner_id if group == "owner_id" else team_id, []).append(seconds)
        names = labels(list(sums))
        rows = []
        for pk, row in sums.items():
            median, p90 = nearest_rank(timing.get(pk, []), (0.5, 0.9))
            rows.append({"label": names.get(pk, none_label), "leads": row["leads"],
                         "contacted": row["contacted"], "within": row["within"],
                         "share": percent(row["within"], row["decided"]),
                         "median": minutes(median), "p90": minutes(p90)})
        rows.sort(key=lambda r: str(r["label"]))
        tables.append(Table(
            key, title,
            [Column("label", _("Who")), Column("leads", _("Leads"), "int"),
             Column("contacted", _("Contacted"), "int"), Column("within", _("Within the SLA"), "int"),
             Column("share", _("Within the SLA, %"), "percent"),
             Column("median", _("To first contact, median, working min"), "decimal"),
             Column("p90", _("To first contact, 90th percentile, working min"), "decimal")],
            rows, Chart("bar", "label", ["share"]),
            note=_("Times to first contact are in working minutes of the lead's team (its working hours, days off "
                   "and public holidays), as its SLA deadline is counted; leads without a team follow the "
                   "company's calendar."),
        ))
    late = Q(first_contacted_at__gt=F("sla_due")) | Q(first_contacted_at__isnull=True, sla_due__lt=report_filter.now)
    breaches = (
        cohort.filter(late).select_related("owner", "team").order_by("-created_at")[:200]
    )
    rows = []
    for lead in breaches:  # at most 200 rows shown, not a walk over the cohort
        contacted = lead.first_contacted_at
        clock = clocks.get(lead.team_id) or _working_clocks({lead.team_id})[lead.team_id]
        rows.append({"lead": lead.full_name, "lead_id": lead.pk, "owner": lead.owner.display_name() if lead.owner
                     else str(POOL_LABEL), "team": str(lead.team) if lead.team else "",
                     "created": lead.created_at.astimezone(report_filter.zone),
                     "due": lead.sla_due.astimezone(report_filter.zone) if lead.sla_due else None,
                     "contacted": contacted.astimezone(report_filter.zone) if contacted else None,
                     # Past the first task's due time in the working minutes that deadline was counted in: a
                     # lead due Friday 17:50 and called Monday 09:05 is 15 minutes late, not 63 hours.
                     "late": minutes(clock.seconds_between(lead.sla_due, contacted or report_filter.now))
                     if lead.sla_due else None})
    tables.append(Table(
        "breaches", _("SLA breaches"),
        [Column("lead", _("Lead")), Column("owner", _("Owner")), Column("team", _("Team")),
         Column("created", _("Arrived"), "datetime"), Column("due", _("Due by"), "datetime"),
         Column("contacted", _("First contact"), "datetime"), Column("late", _("Late by, working min"), "decimal")],
        rows, note=_("%(count)d lead(s) contacted after the SLA or not yet contacted past it; the newest 200 shown.")
        % {"count": breach_count},
    ))
    return Report("speed", _("Speed to lead"), tables)


def _working_clocks(team_ids: set[int | None]) -> dict[int | None, WorkingClock]:
    """A working clock per team (its week, hours, zone and calendar dates, as its leads' SLA deadlines are set),
    the company's default calendar for leads without a team: one query for the teams."""
    teams = Team.objects.in_bulk([pk for pk in team_ids if pk is not None])
    return {pk: WorkingClock(team_calendar(teams.get(pk) if pk is not None else None)) for pk in team_ids}


def _first_contact_waits(cohort: QuerySet[Lead],
                         clocks: dict[int | None, WorkingClock]) -> list[tuple[Any, Any, float]]:
    """(owner, team, working seconds from reaching sales to the first contact) of each contacted lead of the cohort.

    Working time needs each team's calendar, which the database does not have: the contacted leads' four columns are
    read in one query and counted here (a clock keeps each date's hours, so a lead costs a lookup or two). Counted
    at report time rather than stored at the first contact, so a holiday loaded or hours corrected afterwards are
    in the figures, and every way a first contact is recorded (the card, telephony, merges, imports) is counted
    alike."""
    rows = (cohort.filter(first_contacted_at__isnull=False).order_by()
            .values_list("owner_id", "team_id", "sales_since", "first_contacted_at"))
    waits = []
    for owner_id, team_id, since, contacted in rows.iterator(chunk_size=5000):
        clock = clocks.get(team_id) or clocks.setdefault(team_id, _working_clocks({team_id})[team_id])
        waits.append((owner_id, team_id, clock.seconds_between(since, contacted)))
    return waits


def nearest_rank(values: list[float], fractions: tuple[float, ...]) -> list[float | None]:
    """Nearest-rank percentiles (as `percentiles` computes them in the database): the k-th smallest of n values with
    k = ceil(fraction * n); None for no values."""
    if not values:
        return [None] * len(fractions)
    ordered = sorted(values)
    count = len(ordered)
    return [ordered[max(math.ceil(round(fraction * count, 9)) - 1, 0)] for fraction in fractions]


# ---------------------------------------------------------------- managers' work (DOMAIN.md 20)


def _filled(fields: tuple[str, ...]) -> Any:
    """How many of the card's fields are filled, counted by the database."""
    from django.db.models import Case, When

    total: Any = Value(0)
    for name in fields:
        total = total + Case(When(Q(**{f"{name}__isnull": False}) & ~Q(**{name: ""}), then=Value(1)),
                             default=Value(0), output_field=IntegerField())
    return total


def _by(qs: QuerySet, field_name: str, **aggregates: Any) -> dict[Any, dict[str, Any]]:
    return {row[field_name]: row for row in qs.order_by().values(field_name).annotate(**aggregates)}


def managers(report_filter: ReportFilter, user: User) -> Report:
    people = list(people_in_scope(user, report_filter, include_inactive=True))
    ids = [person.pk for person in people]
    since, until, now = report_filter.since, report_filter.until, report_filter.now
    # A team's figures (the team sliced by, or a head's own teams) are the work done in it: cards by the card's own
    # team (set when the lead arrived, kept when its owner moves), tasks and activities by the team their doer was in
    # when they were done (the membership history), so a manager who moves keeps the old team's past and brings the
    # new one only what is done there. A head's own work is theirs whatever their team.
    teams = report_teams(user, report_filter)
    lead_base = slice_leads(Lead.objects.exclude(state=LeadState.MERGED).filter(owner_id__in=ids), report_filter)
    client_base = Client.objects.filter(owner_id__in=ids)
    if report_filter.team is not None:
        client_base = client_base.filter(team_id=report_filter.team)

    def worked_in(person: str, moment: str | None) -> Q:
        if teams is None:
            return Q()
        mine = Q(**{person: user.pk}) if report_filter.team is None else Q(pk__in=[])
        return mine | in_teams_at(teams, person, moment)

    if teams is not None and report_filter.team is None:
        lead_base = lead_base.filter(lead_scope(user))
        client_base = client_base.filter(client_scope(user))
    open_leads = _by(lead_base.filter(state__in=[LeadState.OPEN, LeadState.DEFERRED]), "owner_id", n=Count("*"))
    cohort = _by(
        lead_base.filter(created_at__gte=since, created_at__lt=until), "owner_id", n=Count("*"),
        clients=count_if(Q(state=LeadState.CONVERTED)),
        completeness=Avg(_filled(LEAD_CARD_FIELDS) * 100.0 / len(LEAD_CARD_FIELDS)),
    )
    # Tasks and activities: one pass each over the covering indexes (assignee/author, time, kind, lead, client),
    # the lead's and the client's share counted side by side.
    tasks = Task.objects.filter(assignee_id__in=ids)
    for_lead, for_client = Q(lead__isnull=False), Q(client__isnull=False)
    tasks_done = _by(tasks.filter(worked_in("assignee_id", "completed_at"), completed_at__gte=since,
                                  completed_at__lt=until, is_cancelled=False), "assignee_id",
                     lead=count_if(for_lead), client=count_if(for_client))
    # Overdue now: the team's who is in it now.
    tasks_overdue = _by(tasks.filter(worked_in("assignee_id", None), completed_at__isnull=True, due_at__lt=now),
                        "assignee_id", lead=count_if(for_lead), client=count_if(for_client))
    acts = _by(Activity.objects.filter(worked_in("author_id", "occurred_at"), author_id__in=ids,
                                       occurred_at__gte=since, occurred_at__lt=until)
               .exclude(kind=ActivityKind.SYSTEM), "author_id",
               lead=count_if(for_lead), client=count_if(for_client))
    clients_open = _by(client_base.filter(is_active=True), "owner_id", n=Count("*"))
    clients_new = _by(
        client_base.filter(created_at__gte=since, created_at__lt=until), "owner_id", n=Count("*"),
        completeness=Avg(_filled(CLIENT_CARD_FIELDS) * 100.0 / len(CLIENT_CARD_FIELDS)),
    )

    def get(table: dict, pk: int, key: str = "n") -> Any:
        return table.get(pk, {}).get(key) or 0

    def avg(table: dict, pk: int) -> Decimal | None:
        value = table.get(pk, {}).get("completeness")
        return None if value is None else Decimal(value).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def has_figures(pk: int) -> bool:
        return any(pk in table for table in (open_leads, cohort, tasks_done, tasks_overdue, acts, clients_open,
                                             clients_new))

    lead_rows, client_rows = [], []
    for person in people:  # one row per manager
        pk = person.pk
        if not person.is_active and not has_figures(pk):
            continue  # someone who left shows in the periods they worked, and while cards still wait on them
        lead_rows.append({
            "manager": person.display_name(), "open": get(open_leads, pk), "new": get(cohort, pk),
            "converted": get(cohort, pk, "clients"), "conversion": percent(get(cohort, pk, "clients"),
                                                                            get(cohort, pk)),
            "tasks_done": get(tasks_done, pk, "lead"), "tasks_overdue": get(tasks_overdue, pk, "lead"),
            "activities": get(acts, pk, "lead"), "completeness": avg(cohort, pk),
        })
        client_rows.append({
            "manager": person.display_name(), "open": get(clients_open, pk), "new": get(clients_new, pk),
            "tasks_done": get(tasks_done, pk, "client"), "tasks_overdue": get(tasks_overdue, pk, "client"),
            "activities": get(acts, pk, "client"), "completeness": avg(clients_new, pk),
        })
    lead_table = Table(
        "leads", _("Leads, by the lead's owner"),
        [Column("manager", _("Manager")), Column("open", _("Open leads now"), "int"),
         Column("new", _("Leads created in the period"), "int"), Column("converted", _("Of them converted"), "int"),
         Column("conversion", _("Conversion, %"), "percent"), Column("tasks_done", _("Tasks done"), "int"),
         Column("tasks_overdue", _("Tasks overdue now"), "int"), Column("activities", _("Activities logged"), "int"),
         Column("completeness", _("Lead card completeness, %"), "percent")],
        lead_rows, Chart("bar", "manager", ["tasks_done", "tasks_overdue", "activities"]),
        note=_("Card completeness: the share of %(count)d expected fields filled (name, phone, e-mail, company, "
               "position, city, product interest, deal type), over the leads created in the period.")
        % {"count": len(LEAD_CARD_FIELDS)},
    )
    client_table = Table(
        "clients", _("Clients, by the client's owner"),
        [Column("manager", _("Manager")), Column("open", _("Clients in work"), "int"),
         Column("new", _("New clients in the period"), "int"), Column("tasks_done", _("Tasks done"), "int"),
         Column("tasks_overdue", _("Tasks overdue now"), "int"), Column("activities", _("Activities logged"), "int"),
         Column("completeness", _("Client card completeness, %"), "percent")],
        client_rows, Chart("bar", "manager", ["open", "new"]),
        note=_("Client card completeness: the share of %(count)d expected fields filled (name, the company's INN, "
               "KPP, OGRN, OKPO, legal address, city, phone, website, and the contact's name, position, phone, "
               "e-mail), over the clients created in the period.") % {"count": len(CLIENT_CARD_FIELDS)},
    )
    return Report("managers", _("Managers' work"), [lead_table, client_table])


# ---------------------------------------------------------------- refusals (DOMAIN.md 14)


def refusals(report_filter: ReportFilter, user: User) -> Report:
    refused = slice_leads(
        Lead.objects.filter(lead_scope(user), state=LeadState.REFUSED, refused_at__gte=report_filter.since,
                            refused_at__lt=report_filter.until),
        report_filter,
    )
    reasons = _names(LostReason, LostReason.objects.values_list("pk", flat=True))
    by_reason = list(refused.order_by().values("lost_reason_id").annotate(n=Count("*")).order_by("-n"))
    reason_rows = [{"reason": reasons.get(row["lost_reason_id"], NONE_LABEL), "count": row["n"], "share": share}
                   for row, share in zip(by_reason, shares([row["n"] for row in by_reason]), strict=True)]
    tables = [Table("reasons", _("Refusal reasons"),
                    [Column("reason", _("Reason")), Column("count", _("Leads"), "int"),
                     Column("share", _("Share, %"), "percent")],
                    reason_rows, Chart("bar", "reason", ["count"]))]
    for key, title, group, labels, none_label in (
        ("by_source", _("By source"), "source_id", lambda ids: _names(Source, ids), NONE_LABEL),
        ("by_manager", _("By manager"), "owner_id", lambda ids: _names(User, ids, _person), POOL_LABEL),
    ):
        grouped = list(refused.order_by().values(group, "lost_reason_id").annotate(n=Count("*")))
        names = labels({row[group] for row in grouped})
        rows = [{"group": names.get(row[group], none_label), "reason": reasons.get(row["lost_reason_id"], NONE_LABEL),
                 "count": row["n"]} for row in grouped]
        rows.sort(key=lambda r: (str(r["group"]), -r["count"], str(r["reason"])))
        tables.append(Table(key, title, [Column("group", _("Source") if key == "by_source" else _("Manager")),
                                         Column("reason", _("Reason")), Column("count", _("Leads"), "int")], rows))
    tables.append(_deferred(report_filter, user))
    return Report("refusals", _("Refusals"), tables)


def _deferred(report_filter: ReportFilter, user: User) -> Table:
    """Deferred leads, by the date they come back (the period does not apply: they are waiting now)."""
    deferred = slice_leads(Lead.objects.filter(lead_scope(user), state=LeadState.DEFERRED), report_filter)
    columns = [Column("until", _("Comes back on"), "date"), Column("count", _("Leads"), "int")]
    if is_marketer(user):
        grouped = deferred.order_by().values("deferred_until").annotate(n=Count("*")).order_by("deferred_until")
        rows = [{"until": row["deferred_until"], "count": row["n"]} for row in grouped]
        return Table("deferred", _("Deferred leads due to come back"), columns, rows)
    rows = [{"until": lead.deferred_until, "lead": lead.full_name, "lead_id": lead.pk,
             "owner": lead.owner.display_name() if lead.owner else str(POOL_LABEL)}
            for lead in deferred.select_related("owner").order_by("deferred_until", "pk")[:200]]
    return Table("deferred", _("Deferred leads due to come back"),
                 [Column("until", _("Comes back on"), "date"), Column("lead", _("Lead")), Column("owner", _("Owner"))],
                 rows, note=_("The 200 that come back first."))


# ---------------------------------------------------------------- cost economics (DOMAIN.md 21)


def spend_rows(report_filter: ReportFilter) -> QuerySet[CampaignSpend]:
    qs = CampaignSpend.objects.filter(day__gte=report_filter.start, day__lte=report_filter.end)
    if report_filter.campaign is not None:
        qs = qs.filter(campaign_id=report_filter.campaign)
    if report_filter.source is not None:
        qs = qs.filter(campaign__source_id=report_filter.source)
    if report_filter.medium:
        qs = qs.filter(campaign__source__medium=report_filter.medium)
    return qs


def extra_share(amount: Decimal, starts_on: date, ends_on: date, first: date, last: date) -> Decimal:
    """The part of an extra cost falling on the days `first`..`last`, in whole cents, in proportion to the days.

    The cost is spread over its days cumulatively: the days up to day k hold round(amount x k / length), so a day
    holds the difference of two such sums and any period the sum of its days. Parts of one cost (days, weeks, months,
    any cut of its days into periods) add up to the amount entered to the cent: 100.00 over 3 days is 33.33, 33.34
    and 33.33, where rounding each part gave 33.33 three times, a cent lost."""
    length = (ends_on - starts_on).days + 1
    first, last = max(first, starts_on), min(last, ends_on)
    if length <= 0 or first > last:
        return Decimal("0.00")

    def up_to(days: int) -> Decimal:  # the cost of its first `days` days
        return (amount * days / length).quantize(CENT, ROUND_HALF_UP)

    return up_to((last - starts_on).days + 1) - up_to((first - starts_on).days)


def _extra_on(costs: list[ExtraCost], first: date, last: date) -> Decimal:
    """The parts of `costs` falling on the days `first`..`last`."""
    return sum((extra_share(cost.amount, cost.starts_on, cost.ends_on, first, last) for cost in costs),
               Decimal("0.00"))


def _extra_in(report_filter: ReportFilter) -> list[ExtraCost]:
    return list(ExtraCost.objects.filter(starts_on__lte=report_filter.end, ends_on__gte=report_filter.start))


def extra_costs(report_filter: ReportFilter) -> Decimal:
    """Extra costs overlapping the period, in proportion to the days they share with it."""
    return _extra_on(_extra_in(report_filter), report_filter.start, report_filter.end)


@dataclass
class Economics:
    clicks: int | None  # None: the slice (team, manager, form, partner) cannot be given a share of the spend
    spend: Decimal | None
    leads: int
    qualified: int
    clients: int
    revenue: Decimal
    # Leads of the campaigns whose clicks are counted (site conversion is theirs over those clicks); None: all.
    clicked_leads: int | None = None

    def row(self) -> dict[str, Any]:
        clicked = self.leads if self.clicked_leads is None else self.clicked_leads
        return {
            "clicks": self.clicks, "spend": money(self.spend), "cpc": ratio(self.spend, self.clicks),
            "leads": self.leads, "site_conversion": percent(clicked, self.clicks),
            "cpl": ratio(self.spend, self.leads), "qualified": self.qualified,
            "cpql": ratio(self.spend, self.qualified), "clients": self.clients,
            "cost_per_client": ratio(self.spend, self.clients), "revenue": money(self.revenue),
            "revenue_per_client": ratio(self.revenue, self.clients),
            "romi": percent(self.revenue - self.spend, self.spend) if self.spend else None,  # None and 0 alike
        }


ECONOMICS_COLUMNS = [
    Column("clicks", _("Clicks"), "int"), Column("spend", _("Budget"), "decimal"),
    Column("cpc", _("Cost per click"), "decimal"), Column("leads", _("Leads"), "int"),
    Column("site_conversion", _("Site conversion (leads / clicks), %"), "percent"),
    Column("cpl", _("Cost per lead"), "decimal"), Column("qualified", _("Qualified"), "int"),
    Column("cpql", _("Cost per qualified lead"), "decimal"), Column("clients", _("Clients"), "int"),
    Column("cost_per_client", _("Cost per client"), "decimal"), Column("revenue", _("Revenue"), "decimal"),
    Column("revenue_per_client", _("Revenue per client"), "decimal"),
    Column("romi", _("Return on marketing spend, %"), "percent"),
]


def costs(report_filter: ReportFilter, user: User) -> Report:
    # Spend is bought for the whole company, so cost per lead is the company's budget over the company's leads for
    # everyone who may read the report (a head too: their teams' leads alone under the whole budget would make a
    # lead look several times dearer). It shows counts and money only, never a lead; a head's slices stay their
    # own teams' (filters.check_slice), and a slice is shown without a budget (below).
    cohort = slice_leads(Lead.objects.exclude(state=LeadState.MERGED).filter(
        created_at__gte=report_filter.since, created_at__lt=report_filter.until), report_filter)
    # Spend is bought per campaign for the whole company: a team's, a manager's, a form's or a partner's share of it
    # is unknown, so such a slice shows its leads and clients without a budget (not the whole budget over its leads).
    attributed = not report_filter.has_sales_slice
    spend = _by(spend_rows(report_filter), "campaign_id", clicks=Sum("clicks"), cost=Sum("cost")) if attributed \
        else {}
    counted = _by(cohort, "campaign_id", n=Count("*"),
                  qualified=count_if(Q(state=LeadState.CONVERTED) | Q(stage_reach__gte=REACH_QUALIFIED)),
                  clients=count_if(Q(state=LeadState.CONVERTED)))
    # A client comes from a lead only by converting it (leads.services.convert_lead): the cohort's converted leads
    # are the ones with clients, and their deals are looked up from them (a tenth of the cohort, its campaign read
    # from the covering index). From the deals, every lead of the cohort was looked up again by its primary key for
    # its campaign: SQLite read each wide lead row, PostgreSQL joined back to the leads (0.5 s and 0.3 s a quarter).
    revenue = _by(cohort.filter(state=LeadState.CONVERTED), "campaign_id", amount=Sum("client__deals__amount"))
    campaign_ids = set(spend) | set(counted) | set(revenue)
    names = _names(Campaign, campaign_ids)
    rows = []
    for pk in sorted(campaign_ids, key=lambda k: (k is None, names.get(k, ""))):  # one row per campaign
        # No spend entered for the campaign in the period (or no campaign): its budget is unknown, "—", not a
        # free lead; a spend of 0 entered is a known zero (a free newsletter costs 0.00 per lead).
        bought = spend.get(pk)
        figures = Economics(
            clicks=int(bought["clicks"] or 0) if bought else None,
            spend=Decimal(bought["cost"] or 0) if bought else None,
            leads=counted.get(pk, {}).get("n", 0), qualified=counted.get(pk, {}).get("qualified", 0),
            clients=counted.get(pk, {}).get("clients", 0),
            revenue=Decimal(revenue.get(pk, {}).get("amount") or 0),
        )
        rows.append({"campaign": names.get(pk, NONE_LABEL) if pk is not None else _("(no campaign)"), **figures.row()})
    extra = None if not attributed else extra_costs(report_filter) if report_filter.campaign is None \
        and report_filter.source is None and not report_filter.medium else Decimal(0)
    known = [r for r in rows if r["spend"] is not None]
    totals = Economics(
        clicks=sum(r["clicks"] for r in known) if known else None,
        spend=sum((r["spend"] for r in known), extra) if known or extra else None,
        leads=sum(r["leads"] for r in rows), qualified=sum(r["qualified"] for r in rows),
        clients=sum(r["clients"] for r in rows), revenue=sum((r["revenue"] for r in rows), Decimal(0)),
        # Leads without a campaign or of a campaign without spend came through no counted click: 4 leads from
        # 100 clicks plus 3 from the newsletter are 4 %, not 7 %.
        clicked_leads=sum(r["leads"] for r in known),
    )
    total_table = Table(
        "total", _("Totals"), [Column("label", _("Campaign")), Column("extra", _("Extra costs in it"), "decimal"),
                               *ECONOMICS_COLUMNS],
        [{"label": _("All"), "extra": extra, **totals.row()}],
        note=_("Cost per lead = total budget / leads; the budget is the campaigns' spend plus the extra costs "
               "(software, salaries) of the period, in proportion to the days it covers.") if attributed else
        _("Spend is bought per campaign for the whole company: sliced by team, manager, form or partner, the leads "
          "and clients are shown without a budget or costs per lead."),
    )
    campaign_table = Table("campaigns", _("By campaign"), [Column("campaign", _("Campaign")), *ECONOMICS_COLUMNS],
                           rows, Chart("bar", "campaign", ["cpl", "cost_per_client"]))
    clicked_campaigns = [pk for pk in spend if pk is not None]
    return Report("costs", _("Cost economics"), [total_table, campaign_table,
                                                 _cost_series(report_filter, cohort, attributed, clicked_campaigns,
                                                              with_extra=bool(extra))])


def _extra_by_period(report_filter: ReportFilter) -> dict[date, Decimal]:
    """Each period's part of the extra costs (its days inside the report's), parts adding up to the total's extra."""
    starts = periods(report_filter)
    costs = _extra_in(report_filter)
    parts: dict[date, Decimal] = {}
    for index, period in enumerate(starts):
        last = starts[index + 1] - timedelta(days=1) if index + 1 < len(starts) else report_filter.end
        parts[period] = _extra_on(costs, max(period, report_filter.start), min(last, report_filter.end))
    return parts


def _cost_series(report_filter: ReportFilter, cohort: QuerySet[Lead], attributed: bool,
                 clicked_campaigns: list[int], with_extra: bool = False) -> Table:
    # Spend is entered per day: summed per day by the database, then the days (a few hundred rows) are put in their
    # weeks or months here. Truncating in SQL cost a Python call per spend row on SQLite (django_date_trunc).
    spend: dict[date, dict[str, Any]] = {}
    for row in (spend_rows(report_filter).order_by().values("day").annotate(clicks=Sum("clicks"), cost=Sum("cost"))
                if attributed else []):
        period = period_starts(report_filter.interval, row["day"], row["day"])[0]
        figures = spend.setdefault(period, {"clicks": 0, "cost": Decimal(0)})
        figures["clicks"] += row["clicks"] or 0
        figures["cost"] += Decimal(row["cost"] or 0)
    made = {as_local_date(row["period"], report_filter): row for row in cohort.order_by()
            .annotate(period=bucket(report_filter, "created_at")).values("period")
            .annotate(n=Count("*"), clicked=count_if(Q(campaign_id__in=clicked_campaigns)))}
    # The extra costs of each period join its spend as they join the total's (where they apply): the periods' parts
    # add up to the total's extra to the cent.
    extra = _extra_by_period(report_filter) if attributed and with_extra else {}
    rows = []
    for period in periods(report_filter):
        part = extra.get(period, Decimal("0.00")) if attributed else None
        cost = Decimal(spend.get(period, {}).get("cost") or 0) + part if attributed else None
        count = made.get(period, {}).get("n", 0)
        clicks = int(spend.get(period, {}).get("clicks") or 0) if attributed else None
        rows.append({"period": period, "clicks": clicks, "spend": money(cost), "extra": part, "leads": count,
                     "cpl": ratio(cost, count),
                     "site_conversion": percent(made.get(period, {}).get("clicked", 0), clicks)})
    return Table(
        "series", _("Over time"),
        [Column("period", _("Period"), period_kind(report_filter)), Column("clicks", _("Clicks"), "int"),
         Column("spend", _("Spend"), "decimal"), Column("extra", _("Extra costs in it"), "decimal"),
         Column("leads", _("Leads"), "int"),
         Column("cpl", _("Cost per lead"), "decimal"),
         Column("site_conversion", _("Site conversion, %"), "percent")],
        rows, Chart("line", "period", ["spend", "leads"]),
    )


# ---------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class ReportKind:
    key: str
    title: Any
    build: Callable[[ReportFilter, User], Report]
    for_marketer: bool
    for_manager: bool
    description: Any


REPORTS: dict[str, ReportKind] = {
    kind.key: kind for kind in (
        ReportKind("funnel", _("Funnel"), funnel, True, True,
                   _("Traffic, interests, leads, qualified, new and renewing clients; stages reached.")),
        ReportKind("conversion", _("Conversion"), conversion, True, True,
                   _("Lead-to-client conversion and time to convert, per source, campaign, manager, offer, month; "
                     "cohorts.")),
        ReportKind("speed", _("Speed to lead"), speed, False, True,
                   _("Time to the first call or e-mail, share within the SLA, breaches.")),
        ReportKind("managers", _("Managers' work"), managers, False, True,
                   _("Open leads and clients, tasks done and overdue, activities, conversion, card completeness.")),
        ReportKind("refusals", _("Refusals"), refusals, True, True,
                   _("Refusal reasons by source and manager; deferred leads coming back.")),
        ReportKind("costs", _("Cost economics"), costs, True, False,
                   _("Clicks, spend, cost per click, lead, qualified lead and client; revenue and return.")),
    )
}


def allowed(kind: ReportKind, user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin:
        return True
    if user.role == "head":
        # Every report: the head judges sales by cost per lead and per client as much as the marketer does (the
        # cost report is company-wide aggregates, no lead's data; see costs()).
        return True
    if is_marketer(user):
        return kind.for_marketer
    if user.role == "manager":
        return kind.for_manager
    return False


def reports_for(user: User) -> list[ReportKind]:
    return [kind for kind in REPORTS.values() if allowed(kind, user)]


def build(key: str, report_filter: ReportFilter, user: User) -> Report:
    return REPORTS[key].build(report_filter, user)



