"""The client directory, kept apart from leads (DOMAIN.md 13): companies, contacts, clients."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from leadflow.clients.validators import clean_number, validate_inn, validate_kpp, validate_ogrn


class Company(models.Model):
    """An organisation; INN equality decides that two records are one company."""

    name = models.CharField(_("name"), max_length=255)
    legal_form = models.CharField(_("legal form"), max_length=20, blank=True)
    inn = models.CharField(_("INN"), max_length=12, blank=True, validators=[validate_inn])
    kpp = models.CharField(_("KPP"), max_length=9, blank=True, validators=[validate_kpp])
    ogrn = models.CharField(_("OGRN"), max_length=15, blank=True, validators=[validate_ogrn])
    okpo = models.CharField(_("OKPO"), max_length=14, blank=True)
    legal_address = models.TextField(_("legal address"), blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    phone = models.CharField(_("main phone"), max_length=20, blank=True)
    website = models.URLField(_("website"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="companies",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.UniqueConstraint(fields=["inn"], condition=~models.Q(inn=""), name="company_inn_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.legal_form} {self.name}".strip()

    def clean_fields(self, exclude: list[str] | None = None) -> None:
        """Numbers typed in groups ("7707 083893", "770-708-38-93") are stored without the separators."""
        for name in ("inn", "kpp", "ogrn"):
            setattr(self, name, clean_number(getattr(self, name)))
        super().clean_fields(exclude=exclude)


class Contact(models.Model):
    """A person at a client (or a private client); contacts of one organisation share its company."""

    company = models.ForeignKey(
        Company, verbose_name=_("company"), null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    last_name = models.CharField(_("surname"), max_length=120, blank=True)
    first_name = models.CharField(_("first name"), max_length=120, blank=True)
    middle_name = models.CharField(_("patronymic"), max_length=120, blank=True)
    full_name = models.CharField(_("full name"), max_length=255)
    position = models.CharField(_("position"), max_length=160, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    phone_ext = models.CharField(_("extension"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # The person's Telegram account ("t.me/ivan_petrov"), as a lead's: carried over at conversion, typed by whoever
    # works the client. Indexed: an erasure finds the person's cards by it (privacy.services).
    telegram = models.CharField(_("Telegram"), max_length=40, blank=True, db_index=True)
    # The e-mail someone who works the client checked and found right although it looks like a slip: no suggestion
    # for it on the card (until it changes). Carried over from the lead's card at conversion.
    email_checked = models.CharField(_("e-mail checked as right"), max_length=254, blank=True)
    # Further phones (E.164, " ext. N" when there is one) and e-mail addresses the person gave, as a lead's
    # other_contacts: carried over at conversion with what the lead's requests gave besides, kept by a merge. Each
    # is an identity key of the contact, so a request from any of them finds the client.
    other_contacts = models.JSONField(_("other contacts"), default=list, blank=True)
    # A phone or e-mail the person gave that could not be read, kept as typed for whoever calls them:
    # [{"field": "phone", "value": "8-912-ЗВОНИТЬ", "problem": "..."}] (pipeline._keep_unreadable; carried over
    # from the lead's requests at conversion, or from a client row of an import).
    unreadable_contacts = models.JSONField(_("contacts kept as given"), default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="contacts",
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.full_name

    @property
    def phone_text(self) -> str:
        """The contact's phone as other contacts keep one ("+74951234567 ext. 12"); "" without one."""
        from leadflow.matching.normalize import Phone, phone_text

        return phone_text(Phone(self.phone, self.phone_ext)) if self.phone else ""

    @property
    def telegram_shown(self) -> str:
        """The Telegram account as people write it ("@ivan_petrov")."""
        from leadflow.matching.normalize import telegram_shown

        return telegram_shown(self.telegram)


class Client(models.Model):
    """A buyer: created by converting a lead, linked to it both ways."""

    name = models.CharField(_("name"), max_length=255)
    company = models.ForeignKey(
        Company, verbose_name=_("company"), null=True, blank=True, on_delete=models.PROTECT, related_name="clients"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("main contact"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="clients",
    )
    # PROTECT: the client's responsible person and team are counted by reports of past periods (leads.models).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="clients",
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="clients",
    )
    lead = models.OneToOneField(
        "leads.Lead", verbose_name=_("lead it came from"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="client",
    )
    is_active = models.BooleanField(_("in work"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set when the person's data was erased on request: the row stays (anonymised) so counts hold.
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        indexes = [models.Index(fields=["owner", "is_active"])]

    def __str__(self) -> str:
        return self.name


class Deal(models.Model):
    """A purchase by a client with its amount: revenue per client and renewing clients come from these."""

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="deals")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    closed_at = models.DateTimeField(_("closed at"))
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-closed_at"]
        indexes = [models.Index(fields=["client", "closed_at"], name="deal_client_closed")]

    def __str__(self) -> str:
        return f"{self.client} {self.amount}"


class ContactMerge(models.Model):
    """A merge of contacts into a survivor, with what is needed to undo it."""

    survivor = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="merges")
    merged = models.JSONField(default=list)
    snapshot = models.JSONField(default=dict)
    merged_at = models.DateTimeField(auto_now_add=True)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.merged} -> {self.survivor_id}"
