"""Who sees which client and company."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet

from leadflow.accounts.models import User
from leadflow.clients.models import Client, Company, Contact
from leadflow.leads.querysets import headed_team_ids


def clients_visible_to(user: User) -> QuerySet[Client]:
    """A manager sees own clients; a head, the team's; an admin, all."""
    if not user.is_authenticated or not user.is_active:
        return Client.objects.none()
    if user.is_admin:
        return Client.objects.all()
    if user.role == "head":
        return Client.objects.filter(Q(owner=user) | Q(team_id__in=headed_team_ids(user)))
    if user.role == "manager":
        return Client.objects.filter(owner=user)
    return Client.objects.none()


def spellings(word: str) -> set[str]:
    """A word as people write it (as typed, lower case, capitalised, capitals): SQLite's LIKE folds only Latin
    letters, so "ромашка" must also be looked for as "Ромашка" and "РОМАШКА"; PostgreSQL folds them anyway."""
    return {word, word.lower(), word.capitalize(), word.upper()}


def search_companies(companies: QuerySet[Company], text: str) -> QuerySet[Company]:
    """Companies whose name holds every word (in any case, Cyrillic too), or whose INN is the number typed in
    groups ("7707 083893")."""
    from leadflow.clients.validators import clean_number

    by_words = Q()
    for word in text.split():
        in_name = Q()
        for form in spellings(word):
            in_name |= Q(name__icontains=form) | Q(legal_form__iexact=form)
        by_words &= in_name
    number = clean_number(text)
    return companies.filter(by_words | Q(inn=number)) if number.isdigit() else companies.filter(by_words)


def search_clients(clients: QuerySet[Client], text: str) -> QuerySet[Client]:
    """Clients found by what a caller tells: the client's or company's name, a name of one of its people, a phone in
    any notation (the key any contact's phone or other contact is indexed under, or the company's main line), an
    e-mail in any case, the INN typed in groups, or a Telegram account ("@ivan_petrov", a t.me link).

    Every word must be in a name (so "сергей волков" finds Волков Сергей). SQLite folds only Latin letters in LIKE,
    so each word is also tried as people write a Cyrillic word: lower case, capitalised and in capitals ("ооо
    ромашка" finds ООО Ромашка); PostgreSQL folds them anyway."""
    from leadflow.clients.validators import clean_number
    from leadflow.matching import normalize
    from leadflow.matching.models import CardType, IdentityKey, KeyKind
    from leadflow.matching.record import canonical_email

    text = text.strip()
    by_words = Q()
    for word in text.split():
        in_names = Q()
        for form in spellings(word):
            people = Contact.objects.filter(Q(full_name__icontains=form) | Q(email__icontains=form))
            in_names |= (Q(name__icontains=form) | Q(company__name__icontains=form) | Q(contact__in=people)
                         | Q(company__in=people.exclude(company__isnull=True).values("company_id")))
        by_words &= in_names
    condition = by_words
    keys: list[tuple[str, str]] = []
    if sum(ch.isdigit() for ch in text) >= 5 and "@" not in text:
        try:
            phone = normalize.normalize_phone(text, region=settings.LEADFLOW_DEFAULT_REGION).e164
        except normalize.NormalizationError:
            phone = ""
        if phone:
            keys.append((KeyKind.PHONE, phone))
            condition |= Q(company__phone=phone)
    if "@" in text:
        try:
            keys.append((KeyKind.EMAIL, canonical_email(normalize.normalize_email(text))))
        except normalize.NormalizationError:
            pass
    number = clean_number(text)
    if number.isdigit() and len(number) in (10, 12):
        condition |= Q(company__inn=number)
    if normalize.TELEGRAM.fullmatch(text.rstrip("/")):  # "@ivan_petrov", "t.me/ivan_petrov": a person's account
        people = Contact.objects.filter(telegram=normalize.normalize_telegram(text))
        condition |= Q(contact__in=people) | Q(company__in=people.exclude(company__isnull=True).values("company_id"))
    if keys:
        key_condition = Q()
        for kind, value in keys:
            key_condition |= Q(kind=kind, value=value)
        contact_ids = IdentityKey.objects.filter(key_condition, card_type=CardType.CONTACT).values("card_id")
        people = Contact.objects.filter(pk__in=contact_ids)
        condition |= Q(contact__in=people) | Q(company__in=people.exclude(company__isnull=True).values("company_id"))
    return clients.filter(condition)


def clients_open_to(user: User) -> QuerySet[Client]:
    """The clients whose card `user` may open: those they see (`clients_visible_to`), plus those on which they
    have an open task. A head may give a task on a colleague's client to someone of the team: the assignee opens
    the card from My tasks or the notification, logs the call and completes the task; when no open task of
    theirs is left, the card closes to them again. Such a card is not in their client list (it is not theirs)."""
    if not user.is_authenticated or not user.is_active:
        return Client.objects.none()
    if user.is_admin:
        return Client.objects.all()
    if user.role not in ("head", "manager"):
        return Client.objects.none()
    from leadflow.leads.models import Task  # leads' models import this app's models

    tasked = Task.objects.filter(assignee=user, completed_at__isnull=True, client__isnull=False).values("client_id")
    return Client.objects.filter(Q(pk__in=clients_visible_to(user).values("pk")) | Q(pk__in=tasked))


def companies_visible_to(user: User) -> QuerySet[Company]:
    """Companies of the clients one sees, plus those one owns."""
    if not user.is_authenticated or not user.is_active:
        return Company.objects.none()
    if user.is_admin:
        return Company.objects.all()
    client_companies = clients_visible_to(user).exclude(company__isnull=True).values("company_id")
    return Company.objects.filter(Q(owner=user) | Q(pk__in=client_companies))
