"""Identity keys: a person's normalised contacts, indexed so matching is a lookup, not a scan."""

from django.db import models


class CardType(models.TextChoices):
    LEAD = "lead", "lead"
    CONTACT = "contact", "contact"
    COMPANY = "company", "company"
    INTEREST = "interest", "interest"


class KeyKind(models.TextChoices):
    PHONE = "phone", "phone"  # E.164 without the extension
    EMAIL = "email", "email"  # normalised address
    INN = "inn", "inn"
    NAME = "name", "name"  # phonetic name keys (keys.name_keys)
    COMPANY = "company", "company"  # company skeleton: groups colleagues, not a person key


class IdentityKey(models.Model):
    """One normalised contact of one card; several cards may share a key (an office line)."""

    kind = models.CharField(max_length=10, choices=KeyKind.choices)
    value = models.CharField(max_length=254)
    extension = models.CharField(max_length=20, blank=True)
    card_type = models.CharField(max_length=10, choices=CardType.choices)
    card_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value", "extension", "card_type", "card_id"], name="identity_key_unique"
            )
        ]
        indexes = [
            models.Index(fields=["kind", "value"]),
            models.Index(fields=["card_type", "card_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value} -> {self.card_type}#{self.card_id}"
