"""Reads: who sees which lead and task, and the usual slices of them."""

from __future__ import annotations

import base64
import math
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

if TYPE_CHECKING:
    from leadflow.accounts.models import User


def headed_team_ids(user: User) -> list[int]:
    """The teams whose head (Team.head) `user` is. Being a member with the head-of-sales role is not heading: a team
    has one head, the one escalations and notifications go to, and a second head of sales in it (a deputy, one
    moved in from another team) gets none of its leads, routing or reports to change."""
    return list(user.headed_teams.values_list("pk", flat=True))


def interests_visible_to(user: User) -> models.QuerySet:
    """As leads (LeadQuerySet.visible_to): a head sees the interests of the teams they head (Team.head), not of the
    team they are a member of; a manager, their own team's; both, those of no team; an admin, all."""
    from leadflow.leads.models import Interest

    if not user.is_authenticated or not user.is_active:
        return Interest.objects.none()
    if user.is_admin:
        return Interest.objects.all()
    if user.role == "head":
        return Interest.objects.filter(Q(team_id__in=headed_team_ids(user)) | Q(team__isnull=True))
    if user.role == "manager" and user.team_id:
        return Interest.objects.filter(Q(team_id=user.team_id) | Q(team__isnull=True))
    return Interest.objects.none()


# Interests nobody has taken to a card yet: not made a lead, not attached to the lead or client that knew the person.
INTEREST_PENDING = Q(promoted_to__isnull=True, promoted_to_client__isnull=True)


class LeadQuerySet(models.QuerySet):
    def open(self) -> LeadQuerySet:
        return self.filter(state="open")

    def in_pool(self) -> LeadQuerySet:
        return self.filter(owner__isnull=True, state="open")

    def pool_of(self, user: User) -> LeadQuerySet:
        """The part of the pool `user` sees (`visible_to(user).in_pool()`), in one plain condition for counting:
        a manager's team's unclaimed leads, a head's teams', those of no team; an admin's, all."""
        qs = self.in_pool()
        if not user.is_authenticated or not user.is_active:
            return qs.none()
        if user.is_admin:
            return qs
        if user.role not in ("head", "manager"):
            return qs.none()
        teams = headed_team_ids(user) if user.role == "head" else [user.team_id] if user.team_id else []
        return qs.filter(Q(team_id__in=teams) | Q(team__isnull=True))

    def owned_by(self, user: User) -> LeadQuerySet:
        return self.filter(owner=user)

    def visible_to(self, user: User) -> LeadQuerySet:
        """A manager sees the pool of their team and their own leads; a head, the team's; admin, all."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self
        own = Q(owner=user)
        if user.role == "head":
            teams = headed_team_ids(user)
            # The team's leads, plus the rare ones outside it: the head's own, and a pool without a team.
            # Those two are checked first (two index lookups) so the usual condition stays a plain
            # `team_id IN (...)` that the newest-first indexes can serve; an OR would make every list
            # page sort the whole team.
            condition = Q(team_id__in=teams)
            base = self.model.objects
            if base.filter(owner=user).exclude(team_id__in=teams).exists():
                condition |= own
            if base.filter(team__isnull=True, owner__isnull=True).exists():
                condition |= Q(team__isnull=True, owner__isnull=True)
            return self.filter(condition)
        if user.role == "manager":
            pool = Q(owner__isnull=True, state="open") & (Q(team_id=user.team_id) | Q(team__isnull=True))
            return self.filter(own | pool)
        return self.none()

    def search(self, text: str) -> LeadQuerySet:
        """By name, company, e-mail, a phone written in any format, or a Telegram account ("@ivan_petrov", a t.me
        link: the card's, an index lookup)."""
        from django.conf import settings

        from leadflow.matching import normalize

        text = text.strip()
        condition = Q(search_text__contains=text.casefold())
        if sum(ch.isdigit() for ch in text) >= 5:
            try:
                condition |= Q(phone=normalize.normalize_phone(text, region=settings.LEADFLOW_DEFAULT_REGION).e164)
            except normalize.NormalizationError:
                condition |= Q(phone__contains="".join(ch for ch in text if ch.isdigit()))
        if normalize.TELEGRAM.fullmatch(text.rstrip("/")):
            condition |= Q(telegram=normalize.normalize_telegram(text))
        return self.filter(condition)

    def live(self) -> LeadQuerySet:
        """Leads that are cards of their own (merged ones live on in their survivor)."""
        return self.exclude(state="merged")


class TaskQuerySet(models.QuerySet):
    def open(self) -> TaskQuerySet:
        return self.filter(completed_at__isnull=True)

    def overdue(self, now: datetime | None = None) -> TaskQuerySet:
        return self.open().filter(due_at__lt=now or timezone.now())

    def due_on(self, day_start: datetime, day_end: datetime) -> TaskQuerySet:
        return self.open().filter(due_at__gte=day_start, due_at__lt=day_end)

    def visible_to(self, user: User) -> TaskQuerySet:
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self
        if user.role == "head":
            teams = headed_team_ids(user)
            return self.filter(
                Q(assignee=user) | Q(lead__team_id__in=teams) | Q(client__team_id__in=teams)
            )
        return self.filter(assignee=user)


def local_day_bounds(zone_name: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """Start and end of 'today' in the user's zone, as aware datetimes (stored times are UTC)."""
    zone = ZoneInfo(zone_name)
    local_now = (now or timezone.now()).astimezone(zone)
    start = datetime.combine(local_now.date(), time.min, tzinfo=zone)
    return start, start + timedelta(days=1)


class BadCursor(ValueError):
    """A cursor this site did not give out."""


def encode_cursor(moment: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{pk}".encode()).decode()


def keyset_page(qs: models.QuerySet, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """Newest first by (created_at, id), continuing after `cursor`: an index range, never an OFFSET scan."""
    if cursor:
        try:
            moment_text, pk_text = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
            moment, pk = parse_datetime(moment_text), int(pk_text)
        except (ValueError, UnicodeDecodeError) as error:
            raise BadCursor(cursor) from error
        if moment is None:
            raise BadCursor(cursor)
        qs = qs.filter(Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=pk))
    items = list(qs.order_by("-created_at", "-pk")[: limit + 1])
    if len(items) > limit:
        items = items[:limit]
        return items, encode_cursor(items[-1].created_at, items[-1].pk)
    return items, None


# ---------------------------------------------------------------- other orders than newest first

NEWEST, BEST_SCORE, HOTTEST = "newest", "score", "hottest"
SORTS = (NEWEST, BEST_SCORE, HOTTEST)


def sorts_available() -> tuple[str, ...]:
    """The predictive score is a room of its own: without it there is nothing to sort by."""
    from django.apps import apps

    return SORTS if apps.is_installed("leadflow.scoring") else (NEWEST, HOTTEST)


def points_now_expression(moment: datetime, path: str = "score__") -> models.Expression | None:
    """Each lead's warming points at `moment` (fit points plus the fading behaviour points), computed in the query.

    From the stored anchor (warming.LeadScore.fading_anchor = log2|b| + as_of / half-life): the fading part is
    ±2^(anchor − moment / half-life), + for points earned, − for points taken away (a larger anchor is then
    fewer points). One half-life for every lead, so this is exact for every lead at one moment. A lead with no
    points row has zero points. `path` leads from the rows queried to the points row ("" when they are points
    rows: the same arithmetic, so the same value to the last bit). None when the warming room is not installed."""
    from django.apps import apps

    if not apps.is_installed("leadflow.warming"):
        return None
    from django.db.models import Case, F, FloatField, Value, When
    from django.db.models.functions import Cast, Coalesce, Power

    from leadflow.warming import services as warming

    now_in_half_lives = warming.half_lives_since_epoch(moment, warming.policy().half_life_days)
    floating = FloatField()
    fading = Power(Value(2.0), F(f"{path}fading_anchor") - Value(now_in_half_lives), output_field=floating)
    behaviour = Case(
        When(**{f"{path}fading_anchor__isnull": True}, then=Value(0.0)),
        When(**{f"{path}behaviour_points__gt": 0}, then=fading),
        default=Value(-1.0) * fading, output_field=floating)
    return Coalesce(Cast(F(f"{path}fit_points"), floating), Value(0.0)) + behaviour


class Tier(NamedTuple):
    """One part of a sort: which leads (`condition`), their key (a column path, a computed expression, or None
    for newest first only), and for the leads above zero points read by their bound (`_best_by_points`), the
    condition without the points (`bounded`)."""

    condition: Q
    key: str | models.Expression | None
    bounded: Q | None = None


def _tiers(sort: str, moment: datetime) -> list[Tier]:
    """A sort as tiers read one after the other, each by its own key (if any, best first), then newest first.

    Reading tier by tier keeps every query an index range that stops after a page (hot, then warm, then
    cold leads; scored leads by probability, then the unscored ones), where one ORDER BY over a computed
    rank or a LEFT JOIN would sort every visible lead on each request. Among hot and among warm leads the lead
    with more points now comes first: points fade, so `moment` (kept in the cursor) fixes when they are read
    and every page of one listing reads them at the same moment. Cold leads too, as the points the user sees
    say (they came newest first, whatever their points: a cold lead with 15 points after one with none). The
    cold tail (most of a base) is mostly leads with no points at all: it is read as three tiers, those with
    points above zero by their points (read by their bound, not computed for every one of them), then those
    with none, newest first (an index range stopped after a page, as before), then those below zero by their
    points."""
    if sort == HOTTEST:
        points = points_now_expression(moment)
        if points is None:
            return [Tier(Q(temperature="hot"), None), Tier(Q(temperature="warm"), None),
                    Tier(Q(temperature="cold"), None)]
        from django.db.models.lookups import Exact, GreaterThan, LessThan

        cold, scored = Q(temperature="cold"), Q(score__isnull=False)
        return [Tier(Q(temperature="hot"), points), Tier(Q(temperature="warm"), points),
                Tier(cold & scored & Q(GreaterThan(points, 0.0)), points, bounded=cold),
                Tier(cold & (Q(score__isnull=True) | Q(Exact(points, 0.0))), None),
                Tier(cold & scored & Q(LessThan(points, 0.0)), points)]
    if sort == BEST_SCORE:
        from django.db.models import Exists, OuterRef

        from leadflow.scoring.models import Prediction, ScoringModel

        # The score the card shows: an open lead's only when the model in use made it; a closed lead keeps
        # its last one (scoring.services.visible_prediction). Any other lead counts as not scored.
        current = ScoringModel.objects.finished().order_by("-trained_at", "-id").values_list("pk", flat=True).first()
        open_scored = Q(state="open", prediction__model_id=current) if current else Q(pk__in=[])
        shown = Q(prediction__isnull=False) & (~Q(state="open") | open_scored)
        by_current = Exists(Prediction.objects.filter(lead=OuterRef("pk"), model_id=current))
        unshown = (Q(state="open") & ~by_current) | (~Q(state="open") & ~Exists(
            Prediction.objects.filter(lead=OuterRef("pk"))))
        return [Tier(shown, "prediction__probability"), Tier(unshown, None)]
    raise ValueError(sort)


# `_best_by_points` reads rounds of points rows, each four times longer than the one before, of at most
# BOUND_ROWS rows, and goes on to a next round only while at least BOUND_SHARE of the rows read are the list's.
BOUND_ROWS = 4096
BOUND_SHARE = 0.25


def _best_by_points(leads: models.QuerySet, tier: models.QuerySet, need: int, moment: datetime,
                    after: tuple[float, datetime, int] | None) -> list[int]:
    """The ids of the `need` first leads of `tier` (`leads` above zero points now, its `sort_value`, after the
    cursor's points, created_at and id `after`) by points, then newest: exactly the order of one ORDER BY over
    the whole tier, without computing every lead's points.

    Points are fit points plus a fading part that, for points earned, grows with the fading anchor (for points
    taken away or none, it is at most zero). So a lead not read yet has at most (the fit points where a read of
    the points rows by fit points, most first, stopped) + 2^(the anchor where a read of the points earned by
    anchor, largest first, stopped − now): both reads are index ranges of the points rows stopped after a few
    (Fagin's threshold algorithm), each row's lead looked up by primary key among `leads` (its temperature, who
    sees it) and its points computed as the tier computes them, to the last bit. Once `need` of the tier's leads
    read are above that bound (a margin above it against rounding in the database's power), no lead unread can
    come before them; until then the reads go on, four times longer each round (the read by fit points only
    while the bound is its fit points: past the most fit points, many leads share each value).

    The reads pay off when `leads` are much of the points rows (a head's team's cold leads). When few rows read
    are theirs (a manager's own leads, a search), or past BOUND_ROWS (long pages such as an export's; deep
    pages, whose leads before the cursor are read again; leads tied on points, as fit points without behaviour,
    which no bound tells apart), the tier is read as before, one ORDER BY, over the leads with at least the
    points of the `need`-th lead read (all of them if fewer were read): exact however the reads ended."""
    from django.db.models import OuterRef, Subquery

    from leadflow.warming import services as warming
    from leadflow.warming.models import LeadScore

    now = warming.half_lives_since_epoch(moment, warming.policy().half_life_days)
    # The lead's created_at when it is one of `leads` (None when not): which row is the tier's, and its tie-break.
    rows = LeadScore.objects.annotate(points=points_now_expression(moment, path=""), created=Subquery(
        leads.filter(pk=OuterRef("lead_id")).values("created_at")[:1]))
    if after is not None:
        # The leads before the cursor (more points than it, in the same arithmetic) are skipped with no lookup.
        rows = rows.filter(points__lte=after[0])
    by_fit = rows.order_by("-fit_points")
    by_anchor = rows.filter(behaviour_points__gt=0, fading_anchor__isnull=False).order_by("-fading_anchor")

    read: dict[int, tuple[float, datetime, int]] = {}

    def take(rows: list[tuple]) -> int:
        """Keep the rows of the tier among `rows` (key, points, created, id); how many were of `leads`."""
        read.update((pk, (points, created, pk)) for _key, points, created, pk in rows if created is not None and
                    points > 0.0 and (after is None or (points, created, pk) < after))
        return sum(created is not None for _key, _points, created, _pk in rows)

    def best() -> list[tuple[float, datetime, int]]:
        return sorted(read.values(), reverse=True)[:need]

    def margin(value: float) -> float:  # above the bound by more than the database's rounding of a power
        return value + 1e-9 * max(1.0, abs(value))

    size, fits, anchors = 4 * need, [], []
    while size <= BOUND_ROWS:
        first = best()
        # The read by fit points goes further only when its end holds the bound up: a lead needed has no more
        # points than the fit points where it stopped (the fit points are few values, each of many leads).
        if not fits or len(first) < need or first[-1][0] <= margin(fits[-1][0]):
            fits = list(by_fit.values_list("fit_points", "points", "created", "lead_id")[:size])
            if take(fits) < BOUND_SHARE * size and len(fits) == size:
                break
            if len(fits) < size:  # every points row is read
                return [pk for _points, _created, pk in best()]
        anchors = list(by_anchor.values_list("fading_anchor", "points", "created", "lead_id")[:size])
        if take(anchors) < BOUND_SHARE * len(anchors):
            break
        # Every earned point is read when the read by anchor ended early; past 2^1000 there is no bound.
        rest = anchors[-1][0] - now if len(anchors) == size else -math.inf
        bound = fits[-1][0] + 2.0 ** rest if rest < 1000 else math.inf
        first = best()
        if len(first) == need and first[-1][0] > margin(bound):
            return [pk for _points, _created, pk in first]
        size *= 4
    first = best()
    at_least = tier.filter(sort_value__gte=first[-1][0]) if len(first) == need else tier
    return list(at_least.order_by(models.F("sort_value").desc(), "-created_at", "-pk")
                .values_list("pk", flat=True)[:need])


def _encode(*parts: object) -> str:
    return base64.urlsafe_b64encode("|".join(str(part) for part in parts).encode()).decode()


def sorted_page(qs: models.QuerySet, sort: str, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """A page of `qs` in the order `sort` names (ties by newest), continuing after `cursor` (keyset).

    The cursor carries the tier, the last row's key value, created_at and id, and the moment the keys are
    read at (points fade: every page of one listing compares them at the moment of its first page)."""
    if sort in ("", NEWEST):
        return keyset_page(qs, cursor, limit)
    if sort not in sorts_available():
        raise ValueError(sort)
    start, value, moment, pk, read_at = 0, None, None, None, timezone.now()
    if cursor:
        try:
            tier_text, value_text, moment_text, pk_text, read_at_text = (
                base64.urlsafe_b64decode(cursor.encode()).decode().split("|"))
            start, pk, moment, read_at = int(tier_text), int(pk_text), parse_datetime(moment_text), \
                parse_datetime(read_at_text)
            value = float(value_text) if value_text else None
        except (ValueError, UnicodeDecodeError) as error:
            raise BadCursor(cursor) from error
        if moment is None or read_at is None or (value is not None and not math.isfinite(value)):
            raise BadCursor(cursor)  # points and scores are finite: "nan" would compare unlike in the database
    tiers = _tiers(sort, read_at)
    if cursor and (not 0 <= start < len(tiers) or (value is None) != (tiers[start][1] is None)):
        raise BadCursor(cursor)
    found: list[tuple[int, models.Model]] = []
    for index in range(start, len(tiers)):
        condition, key, bounded = tiers[index]
        tier = qs.filter(condition)
        computed = key is not None and not isinstance(key, str)
        if key is not None:
            # A computed key (points now) is filtered and ordered by its annotation, a column by its path.
            tier = tier.annotate(sort_value=key if computed else models.F(key))
            key = "sort_value" if computed else key
        if index == start and cursor:
            newer = Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=pk)
            if key:
                newer = Q(**{f"{key}__lt": value}) | (Q(**{key: value}) & newer)
            tier = tier.filter(newer)
        need = limit + 1 - len(found)
        if computed:
            # No index holds a key computed for the moment: the `need` first ids (read by their bound, or one
            # pass over the tier as a top-N sort of narrow rows), then the page's rows are read by primary key.
            after = (value, moment, pk) if index == start and cursor else None
            ids = (_best_by_points(qs.filter(bounded), tier, need, read_at, after) if bounded is not None else
                   list(tier.order_by(models.F(key).desc(), "-created_at", "-pk").values_list("pk", flat=True)[:need]))
            if not ids:
                continue
            tier = tier.filter(pk__in=ids)
        elif key:
            # The `need` best values first (stopped early), then the newest rows tied with the last of them
            # (an equality on the key's index), then the full order over just those rows by primary key: a join
            # sorted on its other table's columns would otherwise make the database sort every visible lead.
            best = list(tier.order_by(models.F(key).desc()).values_list(key, "pk")[:need])
            if not best:
                continue
            lowest = best[-1][0]
            ties = list(tier.filter(**{key: lowest}).order_by("-created_at", "-pk").values_list("pk", flat=True)[:need])
            tier = tier.filter(pk__in=[pk for value, pk in best if value > lowest] + ties)
        ordering = ([models.F(key).desc()] if key else []) + ["-created_at", "-pk"]
        found += [(index, item) for item in tier.order_by(*ordering)[:need]]
        if len(found) > limit:
            break
    cursor_out = None
    if len(found) > limit:
        found = found[:limit]
        index, last = found[-1]
        value_text = repr(last.sort_value) if tiers[index][1] is not None else ""
        cursor_out = _encode(index, value_text, last.created_at.isoformat(), last.pk, read_at.isoformat())
    items = [item for _index, item in found]
    if sort == HOTTEST and tiers[0][1] is not None:
        # The list shows what it is ordered by: points now (a lead of the tier without points has none), not a
        # score in per cent (the points were shown as one: 55 points read "score 5500%").
        for item in items:
            item.points_now = item.__dict__.pop("sort_value", 0.0)
    return items, cursor_out
