"""Forms of the sales UI: they parse and validate; the services do the work."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Q
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from leadflow.accounts.models import Role, Team, User
from leadflow.clients.forms import CompanyNumberFields
from leadflow.core.inputs import parse_id
from leadflow.leads.models import (
    ActivityKind,
    DealType,
    Lead,
    LeadState,
    LostReason,
    RoutingRule,
    RoutingStrategy,
    Stage,
    TaskKind,
    Temperature,
)
from leadflow.leads.querysets import headed_team_ids, sorts_available
from leadflow.marketing.models import Campaign, Source
from leadflow.matching import normalize


def show_refused(form: forms.Form, *, data: dict[str, list[str] | str], errors: dict[str, list[str]]) -> None:
    """A refused form shown again as the user sent it: bound to what they typed (every value of a field kept) and
    checked again, so its own errors stand by their fields; the service's refusals the form cannot know of (an INN's
    check digit, a due time gone by) are added by the field they name ("company.inn" is the field `inn`), or above
    the fields when they name none. The card's forms are built unbound before a draft is known, hence bound here."""
    form.data = MultiValueDict({name: value if isinstance(value, list) else [value] for name, value in data.items()})
    form.is_bound = True
    for name, messages in errors.items():
        field = _field_named(form, name)
        for message in messages:
            if message not in form.errors.get(field or NON_FIELD_ERRORS, []):
                form.add_error(field, message)


def _field_named(form: forms.Form, name: str) -> str | None:
    for candidate in (name, name.replace(".", "_"), name.rpartition(".")[2]):
        if candidate in form.fields:
            return candidate
    return None


class PersonChoiceField(forms.ModelChoiceField):
    """People by the name the rest of the UI shows, not their login."""

    #: Name each person's team too: for a head of several teams picking among all their people.
    with_team = False

    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        if self.with_team and obj.team_id:
            return f"{obj.display_name()} ({obj.team.name})"
        return obj.display_name()

    def to_python(self, value: Any) -> Any:
        # An id no column holds (2**70, "²") is not a choice: the database would raise an overflow, not "no row".
        if value not in self.empty_values and parse_id(str(value)) is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class LeadFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=120,
                        widget=forms.TextInput(attrs={"placeholder": _("Name, phone, e-mail, company"),
                                                      "type": "search"}))
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("In work"))] + [c for c in LeadState.choices if c[0] != "merged"])
    stage = forms.ModelChoiceField(label=_("Stage"), required=False, queryset=Stage.objects.all(),
                                   to_field_name="code", empty_label=_("Any stage"))
    temperature = forms.ChoiceField(label=_("Temperature"), required=False,
                                    choices=[("", _("Any")), *Temperature.choices])
    source = forms.ModelChoiceField(label=_("Source"), required=False, queryset=Source.objects.all(),
                                    empty_label=_("Any source"))
    campaign = forms.ModelChoiceField(label=_("Campaign"), required=False, queryset=Campaign.objects.all(),
                                      empty_label=_("Any campaign"))
    owner = PersonChoiceField(label=_("Owner"), required=False, queryset=User.objects.none(), empty_label=_("Anyone"))
    overdue = forms.BooleanField(label=_("With an overdue task"), required=False)
    created_from = forms.DateField(label=_("Created from"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    created_to = forms.DateField(label=_("Created to"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(label=_("Order"), required=False, choices=[
        ("", _("Newest first")), ("score", _("Score, best first")), ("hottest", _("Hottest first"))])

    def __init__(self, *args, user: User, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        offer_people_to_heads(self, "owner", user)
        available = sorts_available()
        sort_field: forms.ChoiceField = self.fields["sort"]  # type: ignore[assignment]
        sort_field.choices = [(key, label) for key, label in sort_field.choices if not key or key in available]


def offer_people_to_heads(form: forms.Form, field: str, user: User) -> None:
    """A field naming a person is offered only to heads and admins (the team's people); others lose it."""
    if user.is_admin or user.role == Role.HEAD:
        form.fields[field].queryset = team_people(user)
    else:
        del form.fields[field]


def team_people(user: User):  # type: ignore[no-untyped-def]
    """The managers a head may assign to: the people of every team they head (an admin: everyone who works leads)."""
    people = User.objects.filter(is_active=True, role__in=[Role.MANAGER, Role.HEAD])
    if not user.is_admin:
        people = people.filter(team_id__in=headed_team_ids(user) if user.role == Role.HEAD else [user.team_id])
    return people.order_by("first_name", "username")


class AssignForm(forms.Form):
    owner = PersonChoiceField(label=_("Owner"), queryset=User.objects.none(), empty_label=_("Choose a manager"))

    def __init__(self, *args, user: User, lead: Lead | None = None, client=None, with_team: bool = False,  # type: ignore[no-untyped-def]
                 **kwargs):
        super().__init__(*args, **kwargs)
        people = team_people(user)
        card = lead if lead is not None else client
        if card is not None and card.team_id and not user.is_admin:
            # The people the assignment will accept: the card's team, or the head themselves.
            people = people.filter(Q(team_id=card.team_id) | Q(pk=user.pk))
        self.fields["owner"].queryset = people.select_related("team") if with_team else people
        self.fields["owner"].with_team = with_team


class PromoteForm(forms.Form):
    """The person an interest lacked (DOMAIN.md 1): read by services.person_for_promotion, as the API's body is."""

    name = forms.CharField(label=_("The person's full name"), max_length=255)
    phone = forms.CharField(label=_("Phone"), max_length=64, required=False,
                            help_text=_("Empty: the interest's own, if it has one."))
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False,
                            help_text=_("Empty: the interest's own, if it has one."))
    position = forms.CharField(label=_("Position"), max_length=160, required=False)


class StageForm(forms.Form):
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.filter(kind="open"),
                                   to_field_name="code")


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("What"), choices=[c for c in ActivityKind.choices if c[0] != "system"])
    subject = forms.CharField(label=_("Subject"), required=False, max_length=255)
    body = forms.CharField(label=_("Notes"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))
    duration_minutes = forms.IntegerField(label=_("Duration, min"), required=False, min_value=0, max_value=24 * 60)

    def clean(self):  # type: ignore[no-untyped-def]
        """A call logged with nothing said of it is a tap on "Log" by mistake: on a lead it still stopped the
        speed-to-lead clock (the first contact) and took the lead off the SLA breaches, for a call never made."""
        data = super().clean()
        if not self.errors and not (data.get("subject", "").strip() or data.get("body", "").strip()
                                    or data.get("duration_minutes") is not None):
            raise forms.ValidationError(_("Say what happened: a subject, notes or how long it took."))
        return data


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=255)
    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices, initial=TaskKind.CALL)
    due_at = forms.DateTimeField(label=_("Due"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                            format="%Y-%m-%dT%H:%M"))
    assignee = PersonChoiceField(label=_("For"), queryset=User.objects.none(), required=False, empty_label=_("Me"))

    def __init__(self, *args, user: User, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        offer_people_to_heads(self, "assignee", user)
        self.fields["due_at"].initial = (timezone.localtime() + timedelta(days=1)).replace(
            hour=10, minute=0, second=0, microsecond=0)


CLIENT_TASK_KINDS = [choice for choice in TaskKind.choices if choice[0] != TaskKind.ASSIGN]


class ClientTaskForm(TaskForm):
    """A task on a client's card: for the client's owner unless a head gives it to someone of the team."""

    def __init__(self, *args, user: User, client, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, user=user, **kwargs)
        kind: forms.ChoiceField = self.fields["kind"]  # type: ignore[assignment]
        kind.choices = CLIENT_TASK_KINDS  # "assign a responsible person" is the pool's task, not a client's
        if "assignee" in self.fields:
            self.fields["assignee"].empty_label = _("The client's owner")
            self.fields["assignee"].initial = client.owner_id
            if client.team_id and not user.is_admin:
                # The people the task will be accepted for (leads.services.in_client_team): the client's team.
                self.fields["assignee"].queryset = self.fields["assignee"].queryset.filter(
                    Q(team_id=client.team_id) | Q(pk=user.pk) | Q(pk=client.owner_id))


class CompleteTaskForm(forms.Form):
    result = forms.CharField(label=_("Result"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    next_title = forms.CharField(label=_("Next task"), required=False, max_length=255)
    next_due_at = forms.DateTimeField(label=_("Next task due"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if bool(data.get("next_title")) != bool(data.get("next_due_at")):
            raise forms.ValidationError(_("The next task needs both a title and a due time."))
        return data


class RefuseForm(forms.Form):
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=LostReason.objects.filter(is_active=True))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        # In the order the reader reads them: seeded reasons are worded in the reader's language, and the model's
        # order (the stored English names) scattered a Russian list. The queryset still validates the choice.
        field = self.fields["reason"]
        shown = sorted(((reason.pk, str(reason)) for reason in field.queryset), key=lambda c: c[1].casefold())
        field.choices = [("", field.empty_label), *shown]


class DeferForm(forms.Form):
    until = forms.DateField(label=_("Come back on"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def clean_until(self):  # type: ignore[no-untyped-def]
        until = self.cleaned_data["until"]
        if until <= timezone.localdate():
            raise forms.ValidationError(_("The date must be in the future."))
        return until


class ConvertForm(CompanyNumberFields):
    """The client-only fields a lead never needed (DOMAIN.md 13)."""

    field_order = ["company_name", "legal_form", "inn", "kpp", "ogrn", "legal_address"]

    company_name = forms.CharField(label=_("Company"), required=False, max_length=255)
    legal_form = forms.CharField(label=_("Legal form"), required=False, max_length=20)
    owner = PersonChoiceField(label=_("Client's owner"), queryset=User.objects.none(), required=False,
                              empty_label=_("Same owner"))
    first_task_title = forms.CharField(
        label=_("First task for the client"), required=False, max_length=255,
        help_text=_("Empty: the lead's open tasks move to the client; when it has none, “Call the new client”."))
    first_task_due_at = forms.DateTimeField(
        label=_("First task due"), required=False, help_text=_("Empty: the start of the next working day."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))

    def __init__(self, *args, user: User, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        offer_people_to_heads(self, "owner", user)

    def clean(self):  # type: ignore[no-untyped-def]
        from leadflow.clients.validators import clean_number, validate_inn, validate_kpp, validate_ogrn

        data = super().clean()
        for name, validator in (("inn", validate_inn), ("kpp", validate_kpp), ("ogrn", validate_ogrn)):
            if data.get(name):
                try:
                    validator(data[name])
                    data[name] = clean_number(data[name])
                except forms.ValidationError as error:
                    self.add_error(name, error)
        from leadflow.clients.validators import legal_form_errors
        from leadflow.matching.normalize import split_company

        legal_form = split_company(data.get("legal_form") or "").legal_form
        numbers = {name: data.get(name) or "" for name in ("inn", "kpp", "ogrn") if name not in self.errors}
        for name, problems in legal_form_errors(legal_form, **numbers).items():
            self.add_error(name, problems)
        if (data.get("inn") or data.get("kpp") or data.get("ogrn")) and not data.get("company_name"):
            self.add_error("company_name", _("A company needs a name."))
        return data


def telegram_or_error(raw: str) -> str:
    """A Telegram account typed into a card, as intake keeps one ("t.me/ivan_petrov"), "" for none; the field's error
    otherwise."""
    if not raw.strip():
        return ""
    try:
        return normalize.normalize_telegram(raw)
    except normalize.NormalizationError as error:
        raise forms.ValidationError(str(error)) from error


class LeadEditForm(forms.Form):
    last_name = forms.CharField(label=_("Surname"), required=False, max_length=120)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=120)
    middle_name = forms.CharField(label=_("Patronymic"), required=False, max_length=120)
    company = forms.CharField(label=_("Company"), required=False, max_length=255)
    position = forms.CharField(label=_("Position"), required=False, max_length=160)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=64)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)
    telegram = forms.CharField(label=_("Telegram"), required=False, max_length=100,
                               help_text=_("@name or a t.me/name link"))
    city = forms.CharField(label=_("City / region"), required=False, max_length=120)
    product_interest = forms.CharField(label=_("Product interest"), required=False, max_length=120)
    temperature = forms.ChoiceField(label=_("Temperature"), choices=Temperature.choices)

    def clean_phone(self):  # type: ignore[no-untyped-def]
        raw = self.cleaned_data["phone"].strip()
        if not raw:
            return None
        try:
            return normalize.normalize_phone(raw, region=settings.LEADFLOW_DEFAULT_REGION)
        except normalize.NormalizationError as error:
            raise forms.ValidationError(str(error)) from error

    def clean_email(self):  # type: ignore[no-untyped-def]
        raw = self.cleaned_data["email"].strip()
        if not raw:
            return ""
        try:
            return normalize.normalize_email(raw)
        except normalize.NormalizationError as error:
            raise forms.ValidationError(str(error)) from error

    def clean_telegram(self):  # type: ignore[no-untyped-def]
        return telegram_or_error(self.cleaned_data["telegram"])

    def changes(self) -> dict[str, str]:
        data = self.cleaned_data
        phone = data["phone"]
        company = normalize.split_company(data["company"])
        return {
            "last_name": data["last_name"].strip(), "first_name": data["first_name"].strip(),
            "middle_name": data["middle_name"].strip(), "company_name": company.name,
            "legal_form": company.legal_form, "position": data["position"].strip(),
            "phone": phone.e164 if phone else "", "phone_ext": phone.extension if phone else "",
            "email": data["email"], "telegram": data["telegram"], "city": data["city"].strip(),
            "product_interest": data["product_interest"].strip(), "temperature": data["temperature"],
        }


# ---------------------------------------------------------------- a team's routing (the admin and the head's page)

ANY_DEAL_TYPE = _("Any deal type")


def routable_people(team: Team) -> Any:
    """Whom a team's rule may name: the team's active managers (routing gives a rule's leads to nobody else: a head of
    sales named in a rule would get none, leads.routing.decide_owner)."""
    return User.objects.filter(team=team, is_active=True, role=Role.MANAGER).order_by("first_name", "username")


def takes_rule_leads(person: User, team: Team | None = None) -> bool:
    """Whether routing gives `person` leads by a rule (of `team`, when known): active, in routing, and, for a team,
    one of its managers."""
    if not (person.is_active and person.is_routed):
        return False
    return team is None or (person.team_id == team.pk and person.role == Role.MANAGER)


def rule_person_label(person: User, team: Team | None = None) -> str:
    """A rule's person by their shown name, marked when routing passes them over (deactivated, taken out of routing
    by the head, or, for a rule of `team`, no longer one of its managers), as the page's list of rules marks them."""
    name = person.display_name()
    return name if takes_rule_leads(person, team) else f"{name} ({_('takes no new leads')})"


class RulePersonChoiceField(PersonChoiceField):
    rule_team: Team | None = None

    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        return rule_person_label(obj, self.rule_team)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    """Several people by their shown names (marked when routing passes them over); an id no column holds is refused
    as not a choice (not a 500)."""

    rule_team: Team | None = None

    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        return rule_person_label(obj, self.rule_team)

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            if parse_id(str(pk)) is None:
                raise forms.ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                            params={"pk": pk})
        return super()._check_values(value)


class RoutingRuleForm(forms.ModelForm):
    """A routing rule, in the admin and on the team's routing page: one definition of what a rule may say."""

    # A rule's empty deal type matches every lead (routing._fits); the lead's own "Unknown" label read as "only
    # leads whose deal type is unknown".
    deal_type = forms.ChoiceField(label=capfirst(_("deal type is")), required=False, choices=[
        ("", ANY_DEAL_TYPE), *[(value, label) for value, label in DealType.choices if value]])

    class Meta:
        model = RoutingRule
        fields = ("team", "position", "name", "product_interest", "deal_type", "region", "strategy", "assignee",
                  "candidates", "is_active")
        # The model's "active" is shared with people and teams ("активен"); a rule is neuter in Russian.
        labels = {"is_active": pgettext_lazy("a routing rule", "Switched on")}

    def __init__(self, *args: Any, team: Team | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team = team
        # The people the rule names as saved: one deactivated since still reads as chosen and an unchanged save
        # keeps them (the page's list said "Nobody" and the save was refused with "pick the person").
        self.kept_assignee = self.instance.assignee_id if self.instance.pk else None
        self.kept_candidates = set(self.instance.candidates.values_list("pk", flat=True)) if self.instance.pk \
            else set()
        outside = _("Not one of this team's managers: pick one from the list.")
        kept = {self.kept_assignee, *self.kept_candidates} - {None}
        if team is not None:
            # The page offers the team's people only; another id posted is refused on the field, by name.
            people = routable_people(team)
            if kept:
                people = User.objects.filter(Q(team=team, is_active=True, role=Role.MANAGER)
                                             | Q(pk__in=kept)).order_by("first_name", "username")
            self.fields["assignee"] = RulePersonChoiceField(
                label=capfirst(RoutingRule._meta.get_field("assignee").verbose_name), queryset=people,
                required=False, empty_label=_("Nobody"), error_messages={"invalid_choice": outside})
            self.fields["candidates"] = PeopleChoiceField(
                label=capfirst(RoutingRule._meta.get_field("candidates").verbose_name), queryset=people,
                required=False, widget=forms.CheckboxSelectMultiple,
                help_text=RoutingRule._meta.get_field("candidates").help_text,
                error_messages={"invalid_choice": outside, "invalid_pk_value": outside})
            for name in ("assignee", "candidates"):
                self.fields[name].rule_team = team  # type: ignore[attr-defined]
        else:
            self._offer_admin_people(kept, outside)

    def _admin_team(self) -> Team | None:
        """The team the admin's form is for: the one posted (a rule moved to another team offers that team's people
        once the save is refused), else the one the form opened with, else the rule's; None for a new rule."""
        if self.is_bound:
            chosen = parse_id(str(self.data.get(self.add_prefix("team")) or ""))
        else:
            initial = self.initial.get("team")
            chosen = parse_id(str(getattr(initial, "pk", initial) or ""))
        if chosen is None and not self.is_bound:
            chosen = self.instance.team_id
        return Team.objects.filter(pk=chosen).first() if chosen else None

    def _offer_admin_people(self, kept: set[int], outside: str) -> None:
        """The admin's own fields (its widgets kept) offer what the page offers: the team's managers, and the people
        the rule names as saved, marked when routing passes them over. Before a team is chosen (a new rule), every
        active team's managers, each labelled with the team, so the list is not a list of every user (admins,
        marketers) and the save is not the first to say who may not be chosen."""
        team = self._admin_team()
        if team is not None:
            people = User.objects.filter(Q(team=team, is_active=True, role=Role.MANAGER) | Q(pk__in=kept))
            order: tuple[str, ...] = ("first_name", "username")
        else:
            people = User.objects.filter(Q(team__is_active=True, is_active=True, role=Role.MANAGER) | Q(pk__in=kept))
            order = ("team__name", "first_name", "username")
        people = people.select_related("team").order_by(*order)

        def label(person: User) -> str:
            shown = rule_person_label(person, team)
            if team is None and person.team_id:
                return f"{person.team.name}: {shown}"
            return shown

        for name in ("assignee", "candidates"):
            if name in self.fields:
                field = self.fields[name]
                field.queryset = people
                field.label_from_instance = label
                field.error_messages = {**field.error_messages, "invalid_choice": outside}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        team = self.team or data.get("team")
        strategy, assignee = data.get("strategy"), data.get("assignee")
        if strategy == RoutingStrategy.PERSON and assignee is None and "assignee" not in self.errors:
            self.add_error("assignee", _("Pick the person this rule sends leads to."))
        if team is not None:
            allowed = set(routable_people(team).values_list("pk", flat=True))
            # Kept as saved: a person of the team deactivated since (routing passes them over, the page says so);
            # not one who left the team or its managers, nor one chosen anew.
            saved = [pk for pk in (self.kept_assignee, *self.kept_candidates) if pk]
            kept = set(User.objects.filter(team=team, role__in=[Role.MANAGER, Role.HEAD], pk__in=saved)
                       .values_list("pk", flat=True)) if saved else set()
            if assignee is not None and assignee.pk not in allowed and not (
                    assignee.pk == self.kept_assignee and assignee.pk in kept):
                self.add_error("assignee", _("%(name)s is not a manager of the team %(team)s.") % {
                    "name": assignee.display_name(), "team": team.name})
            strangers = [person.display_name() for person in data.get("candidates") or []
                         if person.pk not in allowed and not (person.pk in self.kept_candidates and person.pk in kept)]
            if strangers:
                self.add_error("candidates", _("Not managers of the team %(team)s: %(names)s.") % {
                    "team": team.name, "names": ", ".join(strangers)})
        return data


class TeamRuleForm(RoutingRuleForm):
    """The head's page: the rule's team is the page's, its place in the order is set by moving it."""

    class Meta(RoutingRuleForm.Meta):
        fields = ("name", "product_interest", "deal_type", "region", "strategy", "assignee", "candidates",
                  "is_active")


MAX_ROUTING_WEIGHT = 32767  # accounts.User.routing_weight: a small integer


class TeamRoutingForm(forms.ModelForm):
    """The team's scheme, speed-to-lead SLA and pool limit, and each manager's weight and "takes new leads"."""

    class Meta:
        model = Team
        fields = ("routing_scheme", "sla_minutes", "pool_claim_minutes")

    def __init__(self, *args: Any, managers: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.managers = managers
        weight = User._meta.get_field("routing_weight")
        routed = User._meta.get_field("is_routed")
        for person in managers:
            # The column's range on every database (SQLite would keep any number, PostgreSQL refuse it above the form).
            self.fields[f"weight_{person.pk}"] = weight.formfield(
                label=_("%(name)s: routing weight") % {"name": person.display_name()},
                initial=person.routing_weight, help_text="", max_value=MAX_ROUTING_WEIGHT)
            self.fields[f"routed_{person.pk}"] = routed.formfield(
                label=_("%(name)s: takes new leads") % {"name": person.display_name()},
                initial=person.is_routed, help_text="")

    def manager_rows(self) -> list[tuple[User, Any, Any]]:
        """(person, weight field, "takes new leads" field) for the table of managers."""
        return [(person, self[f"weight_{person.pk}"], self[f"routed_{person.pk}"]) for person in self.managers]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        weights = {person.pk: data.get(f"weight_{person.pk}") for person in self.managers
                   if data.get(f"routed_{person.pk}")}
        # Round robin (the scheme, or a rule's strategy) shares leads by weight: all zeros share out none.
        if weights and None not in weights.values() and not any(weights.values()):
            for pk in weights:
                self.add_error(f"weight_{pk}", _(
                    "Every manager taking new leads has weight 0: give at least one of them a weight above 0."))
        return data

    def managers_data(self) -> dict[int, tuple[int, bool]]:
        return {person.pk: (self.cleaned_data[f"weight_{person.pk}"], self.cleaned_data[f"routed_{person.pk}"])
                for person in self.managers}
