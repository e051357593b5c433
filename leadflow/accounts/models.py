"""Users, teams, roles and API tokens: who works leads and who may see which card."""

import hashlib
import secrets
from datetime import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    HEAD = "head", _("Head of sales")
    MANAGER = "manager", _("Manager")
    MARKETER = "marketer", _("Marketer")


class RoutingScheme(models.TextChoices):
    POOL = "pool", _("Shared pool: first come, first served")
    RULES = "rules", _("Routing rules")
    # No rules to keep: every new lead goes to one of the team's managers in routing (DOMAIN.md 10, "the manager
    # with the fewest leads and clients in work"), the same choice a rule with that strategy makes.
    LEAST_LOADED = "least_loaded", _("The least loaded manager of the team")
    ROUND_ROBIN = "round_robin", _("Weighted round robin over the team's managers")
    MANUAL = "manual", _("Manual assignment by the head of sales")


def default_work_days() -> list[int]:
    return [0, 1, 2, 3, 4]


# A deadline counted in working minutes is found day by day within the calendar's reach (core.worktime): beyond it a
# new lead could not be given its SLA at all. A week of minutes (weeks of working days) is more than any team needs.
MAX_DEADLINE_MINUTES = 7 * 24 * 60
DEADLINE_TOO_LONG = _("At most %(limit_value)s working minutes.")


class TeamQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        """A bulk change of what routing reads of a team (its scheme, deadlines, head, switching on or off, working
        week: leads.routing_setup.ADMIN_TEAM_FIELDS) is in its routing history, as a save is, in the same
        transaction; by whoever is acting (leadflow.accounts.actor), else nobody who logs in."""
        from leadflow.accounts.actor import current_actor
        from leadflow.leads import routing_setup

        fields = routing_setup.ADMIN_TEAM_FIELDS
        if self.model is not Team or not set(kwargs) & {*fields, "head_id"}:
            return super().update(**kwargs)
        with transaction.atomic():
            before = {row["pk"]: row for row in self.select_for_update().values("pk", *fields)}
            count = super().update(**kwargs)
            by = current_actor()
            for team in Team.objects.filter(pk__in=list(before)).order_by("pk"):
                routing_setup.audit_team_change(team=team, before=before[team.pk], by=by)
        return count


class Team(models.Model):
    """A sales team: its head, its routing scheme and its working calendar."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head of sales"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_teams",
    )
    routing_scheme = models.CharField(
        _("routing scheme"), max_length=15, choices=RoutingScheme.choices, default=RoutingScheme.POOL
    )
    sla_minutes = models.PositiveIntegerField(
        _("speed-to-lead SLA, working minutes"),
        default=15, validators=[MaxValueValidator(MAX_DEADLINE_MINUTES, message=DEADLINE_TOO_LONG)],
        help_text=_("The first task of a new lead is due within this many working minutes."),
    )
    pool_claim_minutes = models.PositiveIntegerField(
        _("pool claim limit, working minutes"),
        default=30, validators=[MaxValueValidator(MAX_DEADLINE_MINUTES, message=DEADLINE_TOO_LONG)],
        help_text=_("A pooled lead nobody claims within this time is escalated to the head."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    work_start = models.TimeField(_("working day starts"), default=time(9, 0))
    work_end = models.TimeField(_("working day ends"), default=time(18, 0))
    work_days = models.JSONField(
        _("working days"), default=default_work_days, help_text=_("0 = Monday ... 6 = Sunday")
    )
    is_default = models.BooleanField(
        _("default team"), default=False, help_text=_("Receives leads that no form or rule sends elsewhere.")
    )
    # A team that stopped working leads is not deleted (its members' history and its leads count in past periods'
    # reports): inactive, it gets no new leads and is not offered when people, partners or forms are given a team.
    is_active = models.BooleanField(
        _("active"), default=True,
        help_text=_("Untick for a team that no longer works: it gets no new leads and is not offered for people, "
                    "partners and forms, while reports of past periods still count its work."),
    )
    uses_company_calendar = models.BooleanField(
        _("company holidays apply"), default=True,
        help_text=_("The company-wide holidays and working days of the calendar apply to this team. Untick for a "
                    "team in another country: then only the dates entered for this team apply."),
    )

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Whoever saves the team (a service, the admin, a script), what routing reads of it that changed is in its
        routing history, in the same transaction: the old values read once, under the team's lock; a new team's
        history starts with what it was created with. A save of other fields (its name) reads nothing more."""
        from leadflow.accounts.actor import current_actor
        from leadflow.leads import routing_setup

        adding = self._state.adding
        written = routing_setup.written_fields(Team, routing_setup.ADMIN_TEAM_FIELDS, kwargs.get("update_fields"))
        if not written and not adding:
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            before = {} if adding else routing_setup.team_routing_values(self.pk, written)
            super().save(*args, **kwargs)
            routing_setup.audit_team_change(team=self, before=before, by=current_actor(), created=adding)


class UserQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        """A bulk change of team (a script, the shell, another room) writes the membership history too; a bulk
        change of what routing reads of a person (team, active, role, weight, "takes new leads", own working hours:
        leads.routing_setup.PERSON_FIELDS) is in their team's routing history, as a save is, in the same
        transaction; by whoever is acting (leadflow.accounts.actor), else nobody who logs in (the page shows "—")."""
        from leadflow.accounts.actor import current_actor
        from leadflow.leads import routing_setup

        # A migration's historical model (its manager is this one) has no routing history to write to.
        routed = self.model is User and bool(set(kwargs) & {"team", "team_id", *routing_setup.PERSON_FIELDS})
        if not routed and "team" not in kwargs and "team_id" not in kwargs:
            return super().update(**kwargs)
        with transaction.atomic():
            before = {row["pk"]: row for row in self.select_for_update().values(
                "pk", "team_id", *(routing_setup.PERSON_FIELDS if routed else ()))}
            count = super().update(**kwargs)
            now = timezone.now()
            by = current_actor() if routed else None
            # Read back rather than interpret the arguments: a team, an id or an expression all end up as a column.
            for person in User.objects.filter(pk__in=list(before)).order_by("pk"):
                if before[person.pk]["team_id"] != person.team_id:
                    record_team_change(user_id=person.pk, team_id=person.team_id, at=now)
                if routed:
                    routing_setup.audit_manager_change(person=person, before=before[person.pk], by=by)
        return count


class LeadflowUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A person who logs in: admin, head of sales, manager or marketer."""

    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MANAGER)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # Routing: a manager gets leads only while active, present and inside working hours.
    routing_weight = models.PositiveSmallIntegerField(
        _("routing weight"), default=1, help_text=_("Share of leads in weighted round robin; 0 = none.")
    )
    # Off: routing passes the person by (training, a big deal to close) while they keep their leads and log in.
    is_routed = models.BooleanField(
        _("takes new leads"), default=True,
        help_text=_("Untick to stop routing new leads to this person; their leads and work stay as they are."),
    )
    routed_count = models.PositiveIntegerField(_("leads routed"), default=0, editable=False)
    work_start = models.TimeField(_("own working day starts"), null=True, blank=True)
    work_end = models.TimeField(_("own working day ends"), null=True, blank=True)
    product_groups = models.JSONField(
        _("product groups"), default=list, blank=True, help_text=_("Product interests this manager handles.")
    )
    regions = models.JSONField(_("regions"), default=list, blank=True)

    objects = LeadflowUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Administrators and marketers do their configuration in Django's admin (leadflow.accounts.permissions):
        # their role lets them log in there, with no box to remember to tick.
        if self.role in (Role.ADMIN, Role.MARKETER) and not self.is_staff:
            self.is_staff = True
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "is_staff"}
        from leadflow.accounts.actor import current_actor
        from leadflow.leads import routing_setup

        # Whoever saves the person (a service, the admin, a form, a script), the history of membership follows (team
        # reports of past periods read it, DOMAIN.md 19), and what routing reads of them that changed is in their
        # team's routing history, in the same transaction: the old values read once, under the person's lock. A
        # save of nothing routing reads (a login, a password, a language) reads nothing more.
        adding = self._state.adding
        written = routing_setup.written_fields(User, ("team", *routing_setup.PERSON_FIELDS),
                                               kwargs.get("update_fields"))
        if not written and not adding:
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            before = {"team_id": None} if adding else routing_setup.manager_routing_values(self.pk, written)
            super().save(*args, **kwargs)
            if adding and self.team_id is not None:
                record_team_change(user_id=self.pk, team_id=self.team_id, at=None)
            elif "team_id" in before and before["team_id"] != self.team_id:
                record_team_change(user_id=self.pk, team_id=self.team_id, at=timezone.now())
            routing_setup.audit_manager_change(person=self, before=before, by=current_actor())

    @property
    def is_head(self) -> bool:
        return self.role == Role.HEAD

    def display_name(self) -> str:
        return self.get_full_name() or self.username


class TeamMembership(models.Model):
    """A stretch of time a person was in a team: reports of past periods count work for the team of its time
    (DOMAIN.md 19), not for the team the person is in today."""

    # PROTECT: deleting a person or a team deleted these stretches, and with them who did what for which team in
    # past periods; a person leaving is deactivated, a team closed is made inactive.
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="memberships")
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="memberships")
    # Empty: from the start. A person's first team is theirs from before the account existed: work imported or
    # entered with an earlier date (an old base, the demo) is that team's, not nobody's.
    since = models.DateTimeField(_("from"), null=True, blank=True, help_text=_("Empty: from the start."))
    until = models.DateTimeField(_("to"), null=True, blank=True, help_text=_("Empty: still in the team."))

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        ordering = ["user", "since"]
        indexes = [
            # Reports ask "was this person in this team at that moment" per task or activity: (user, team, since).
            models.Index(fields=["user", "team", "since"], name="membership_at"),
            models.Index(fields=["team", "since"], name="membership_team"),
        ]
        constraints = [
            # One team at a time: the open stretch is the user's current team.
            models.UniqueConstraint(fields=["user"], condition=Q(until__isnull=True), name="membership_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.team}"


def record_team_change(*, user_id: int, team_id: int | None, at: Any) -> None:
    """Close the user's open membership at `at` and open one in the new team (none when `team_id` is None); `at`
    None: the user's first team, from the start (a new account)."""
    if at is not None:
        TeamMembership.objects.filter(user_id=user_id, until__isnull=True).update(until=at)
    first = at is None or not TeamMembership.objects.filter(user_id=user_id).exists()
    if team_id is not None:
        TeamMembership.objects.create(user_id=user_id, team_id=team_id, since=None if first else at)


ABSENCE_FIELDS = ("user_id", "starts_on", "ends_on", "reason")


def _values(row: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in fields}


def _as_saved(row: models.Model, fields: tuple[str, ...]) -> None:
    """Before `row.delete()`: its fields as the database holds them, under its lock (a bulk update since it was
    read, or a change not saved, would otherwise be what the history says was removed)."""
    saved = type(row)._default_manager.select_for_update().filter(pk=row.pk).values(*fields).first()
    for name, value in (saved or {}).items():
        setattr(row, name, value)


class RecordedQuerySet(models.QuerySet):
    """Rows changed in bulk (a script, loading a country's year) are in the routing history of the teams they
    concern, as a save is, in the same transaction, through the model's `record_changes`; deleting goes through
    the pre_delete signals below."""

    def update(self, **kwargs: Any) -> int:
        from leadflow.accounts.actor import current_actor

        fields = self.model.HISTORY_FIELDS
        with transaction.atomic():
            before = {row["pk"]: row for row in self.select_for_update().values("pk", *fields)}
            count = super().update(**kwargs)
            after = self.model._default_manager.filter(pk__in=list(before)).order_by("pk").values("pk", *fields)
            self.model.record_changes([(before[row["pk"]], row) for row in after], by=current_actor())
        self.model.written()
        return count

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        from leadflow.accounts.actor import current_actor

        with transaction.atomic():
            created = super().bulk_create(list(objs), *args, **kwargs)
            self.model.record_changes([(None, _values(row, self.model.HISTORY_FIELDS)) for row in created],
                                      by=current_actor())
        self.model.written()
        return created


class RecordedRow(models.Model):
    """A row whose every change is in the routing history (an absence, a calendar date): `HISTORY_FIELDS` are read
    under the row's lock before a save or a delete, and `record_changes` writes the lines."""

    HISTORY_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        from leadflow.accounts.actor import current_actor

        with transaction.atomic():
            before = None if self._state.adding else type(self)._default_manager.select_for_update().filter(
                pk=self.pk).values(*self.HISTORY_FIELDS).first()
            super().save(*args, **kwargs)
            self.record_changes([(before, _values(self, self.HISTORY_FIELDS))], by=current_actor())

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        with transaction.atomic():
            _as_saved(self, self.HISTORY_FIELDS)
            return super().delete(*args, **kwargs)

    @classmethod
    def record_changes(cls, changes: list[tuple[dict[str, Any] | None, dict[str, Any] | None]], *,
                       by: Any) -> None:
        """Rows added (before None), changed, or removed (after None), as their HISTORY_FIELDS."""
        raise NotImplementedError

    @classmethod
    def written(cls) -> None:
        """After a bulk write, which sends no signal."""


class Absence(RecordedRow):
    """Vacation or sick leave: routing skips the person for these dates. Added, changed or removed anyhow (a
    service, the admin, a script, a bulk update), it is in the person's team's routing history."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="absences")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to (inclusive)"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    objects = RecordedQuerySet.as_manager()
    HISTORY_FIELDS = ABSENCE_FIELDS

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        indexes = [models.Index(fields=["user", "starts_on", "ends_on"])]

    @classmethod
    def record_changes(cls, changes: list[tuple[dict[str, Any] | None, dict[str, Any] | None]], *,
                       by: Any) -> None:
        from leadflow.leads import routing_setup

        for before, after in changes:
            routing_setup.audit_absence_change(before=before, after=after, by=by)


MAX_SHORTENING = 8 * 60


CALENDAR_FIELDS = ("day", "team_id", "is_working", "shortened_by", "name")


class CalendarDay(RecordedRow):
    """A date that differs from the working week: a public holiday or a day off given by decree, or a working day
    the week does not have (a Saturday made a working day), maybe shortened (a pre-holiday day ends an hour
    earlier). Company-wide, or a team's own (a team in another country)."""

    day = models.DateField(_("date"))
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_days",
        help_text=_("Empty: the whole company. A team's own date replaces the company's on that date."),
    )
    is_working = models.BooleanField(
        _("working day"), default=False,
        help_text=_("Ticked: people work that day though the week says otherwise (a Saturday made a working day). "
                    "Unticked: nobody works that day (a public holiday, a day off given by decree)."),
    )
    shortened_by = models.PositiveSmallIntegerField(
        _("shortened by, minutes"), default=0, validators=[MaxValueValidator(MAX_SHORTENING)],
        help_text=_("A working day that ends this many minutes earlier than usual (a pre-holiday day: 60)."),
    )
    name = models.CharField(_("name"), max_length=200, blank=True, help_text=_("New Year holidays, Victory Day…"))

    objects = RecordedQuerySet.as_manager()
    HISTORY_FIELDS = CALENDAR_FIELDS

    class Meta:
        verbose_name = _("calendar date")
        verbose_name_plural = _("working calendar")
        ordering = ["day", "team"]
        constraints = [
            models.UniqueConstraint(fields=["day"], condition=models.Q(team__isnull=True),
                                    name="calendar_day_once_company_wide",
                                    violation_error_message=_("This date is already in the company's calendar.")),
            models.UniqueConstraint(fields=["team", "day"], condition=models.Q(team__isnull=False),
                                    name="calendar_day_once_per_team",
                                    violation_error_message=_("This date is already in the team's calendar.")),
        ]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.name}".strip()

    @classmethod
    def record_changes(cls, changes: list[tuple[dict[str, Any] | None, dict[str, Any] | None]], *,
                       by: Any) -> None:
        """A date added or changed, anyhow, is in the routing history of every team it changes the working time
        of: a company-wide date in each team that applies the company's holidays and has no date of its own that
        day, a team's own date in that team's."""
        from leadflow.leads import routing_setup

        routing_setup.audit_calendar_changes(changes, by=by)

    @classmethod
    def written(cls) -> None:
        from leadflow.accounts.calendar import forget_calendar

        forget_calendar()  # a bulk write sends no signal: the memo of dates would keep the old ones for a minute

    def clean(self) -> None:
        """Each problem on its own field (the constraints below would only say it above the form)."""
        errors: dict[str, Any] = {}
        if self.shortened_by and not self.is_working:
            errors["shortened_by"] = _("Only a working day can be shortened: tick 'working day' or set 0.")
        if self.day is not None:
            same = CalendarDay.objects.filter(day=self.day, team_id=self.team_id).exclude(pk=self.pk)
            if same.exists():
                errors["day"] = (_("This date is already in the team's calendar.") if self.team_id
                                 else _("This date is already in the company's calendar."))
        if errors:
            raise ValidationError(errors)


# Deletions go through Django's collector, for one row, a queryset or a cascade alike, and it sends pre_delete for
# each row it deletes (with the row as the database had it, read once by the collector or held by the caller):
# the routing history is written there, in the deletion's transaction.


@receiver(pre_delete, sender=Absence)
def _absence_removed(sender: Any, instance: Absence, **kwargs: Any) -> None:
    from leadflow.accounts.actor import current_actor

    Absence.record_changes([(_values(instance, ABSENCE_FIELDS), None)], by=current_actor())


@receiver(pre_delete, sender=CalendarDay)
def _calendar_day_removed(sender: Any, instance: CalendarDay, origin: Any = None, **kwargs: Any) -> None:
    from leadflow.accounts.actor import current_actor

    if instance.team_id is not None and (origin is not None and getattr(origin, "model", type(origin)) is Team):
        return  # deleted with its team (never used, or it could not be): the team's history goes with it
    CalendarDay.record_changes([(_values(instance, CALENDAR_FIELDS), None)], by=current_actor())


@receiver(pre_delete, sender=User)
def _head_deleted(sender: Any, instance: User, **kwargs: Any) -> None:
    """A head's account deleted: the teams they headed are left without a head (SET_NULL, an UPDATE that sends no
    save signal), in those teams' history with the person's name (their id will name nobody afterwards)."""
    from leadflow.accounts.actor import current_actor
    from leadflow.leads import routing_setup

    routing_setup.audit_head_deleted(person=instance, by=current_actor())


def hash_token(raw: str) -> str:
    """Tokens are stored as SHA-256: a leaked table does not leak working keys."""
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


class UserToken(models.Model):
    """A personal API token for a user (Authorization: Bearer ...), shown once, stored hashed."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=80, default="api")
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} · {self.name}"

    @classmethod
    def issue(cls, *, user: User, name: str = "api") -> tuple["UserToken", str]:
        raw = new_token("lfu")
        return cls.objects.create(user=user, name=name, token_hash=hash_token(raw)), raw
