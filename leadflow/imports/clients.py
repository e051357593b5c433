"""Client rows of an import: existing buyers (e.g. from accounting) into the client directory.

Each row is validated and matched like any submission (leadflow.intake.pipeline.preview: normalise,
validate, match over leads and clients), plus the company's registration numbers. Then:
  - the same person as a client's contact: the row is attached to that client;
  - the same person as a lead: attached to the lead (converting it is a sales decision, made on its card);
  - a company with this INN that already has a client: the person is added to its contacts, the row
    attached to that client;
  - otherwise a new Company (reused by INN) + Contact + Client, owned by the importer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.clients import services as clients
from leadflow.clients.models import Client, Company
from leadflow.clients.validators import (
    clean_number,
    legal_form_errors,
    validate_inn,
    validate_kpp,
    validate_ogrn,
)
from leadflow.intake import pipeline
from leadflow.intake.models import Submission, SubmissionStatus
from leadflow.leads import services as leads
from leadflow.leads.models import Lead
from leadflow.matching import services as matching

COMPANY_VALIDATORS = {"inn": validate_inn, "kpp": validate_kpp, "ogrn": validate_ogrn}


@dataclass
class ClientPlan:
    """What a client row would do; the dry run reports it, the import carries it out."""

    status: str
    detail: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    parsed: pipeline.Parsed | None = None
    company: dict[str, str] = field(default_factory=dict)
    lead: Lead | None = None
    client: Client | None = None
    company_client: Client | None = None
    warnings: list[dict[str, str]] = field(default_factory=list)  # slips taken as typed (an e-mail domain typo)

    @property
    def has_person(self) -> bool:
        person = self.parsed.person if self.parsed else None
        return bool(person and (person.first_name or person.last_name))


def _company_facts(payload: dict[str, Any]) -> tuple[dict[str, str], dict[str, list[str]]]:
    facts, errors = {}, {}
    for name in ("inn", "kpp", "ogrn", "legal_address"):
        value = str(payload.get(name) or "").strip()[: 1000 if name == "legal_address" else 40]
        if value and name in COMPANY_VALIDATORS:
            try:
                COMPANY_VALIDATORS[name](value)
                value = clean_number(value)  # "7707 083893": kept without the separators
            except ValidationError as error:
                errors[name] = [str(message) for message in error.messages]
                value = ""
        facts[name] = value
    return facts, errors


def plan(inbound: pipeline.Inbound) -> ClientPlan:
    """Validate and match one client row without writing anything."""
    preview = pipeline.preview(inbound)
    company, company_errors = _company_facts(inbound.payload)
    if preview.parsed is not None:
        numbers = {name: company[name] for name in ("inn", "kpp", "ogrn") if name not in company_errors}
        company_errors.update(legal_form_errors(preview.parsed.person.legal_form, **numbers))
    errors = {**preview.errors, **company_errors}
    if errors:
        from leadflow.imports.services import describe_errors

        return ClientPlan(SubmissionStatus.INVALID, detail=describe_errors(errors), errors=errors,
                          warnings=preview.warnings)
    if preview.status == SubmissionStatus.SPAM:
        return ClientPlan(SubmissionStatus.SPAM, detail=preview.reason, parsed=preview.parsed,
                          warnings=preview.warnings)
    result = ClientPlan(SubmissionStatus.CREATED, parsed=preview.parsed, company=company, warnings=preview.warnings)
    person = preview.parsed.person  # type: ignore[union-attr]
    if not (result.has_person or person.company_name or company["inn"]):
        errors = {"__all__": [_("A client needs a company name, an INN or a person's name.")]}
        return ClientPlan(SubmissionStatus.INVALID, detail=errors["__all__"][0], errors=errors,
                          warnings=preview.warnings)
    lead, client, matched_by = preview.lead, preview.client, preview.matched_by
    if preview.status != SubmissionStatus.ATTACHED and result.has_person:
        # An "interest" by the lead rules (e.g. a role mailbox) is still a client's contact: match it too.
        lead, client, matched_by = pipeline.pick_card(matching.find(person.keys()))
    if client is not None:
        result.status, result.client = SubmissionStatus.ATTACHED, client
        result.detail = _("attached to client #%(id)s %(name)s (%(why)s)") % {
            "id": client.pk, "name": client.name, "why": matched_by}
    elif lead is not None:
        result.status, result.lead = SubmissionStatus.ATTACHED, lead
        result.detail = _("already lead #%(id)s %(name)s: attached to it; convert it from its card (%(why)s)") % {
            "id": lead.pk, "name": lead.full_name, "why": matched_by}
    elif company["inn"]:
        existing = Client.objects.filter(company__inn=company["inn"]).order_by("-is_active", "-created_at").first()
        if existing is not None:
            result.status, result.company_client = SubmissionStatus.ATTACHED, existing
            result.detail = _("company with INN %(inn)s is client #%(id)s %(name)s: added to its contacts") % {
                "inn": company["inn"], "id": existing.pk, "name": existing.name}
    return result


def _mark(submission: Submission, status: str, **links: Any) -> None:
    Submission.objects.filter(pk=submission.pk).update(status=status, processed_at=timezone.now(), **links)
    submission.status = status
    if "errors" in links:
        submission.errors = links["errors"]


def apply(submission: Submission) -> tuple[str, str]:
    """Carry out one journaled client row, in its own savepoint; (status, detail for the error file)."""
    try:
        with transaction.atomic():
            return _apply(submission)
    except Exception as error:  # the row fails alone; it stays in the journal to be replayed
        import logging

        logging.getLogger(__name__).exception("client row %s failed", submission.pk)
        reason = str(error) if isinstance(error, ValidationError | ValueError) else _("processing failed")
        _mark(submission, SubmissionStatus.FAILED, errors={"reason": reason})
        return SubmissionStatus.FAILED, reason


def _apply(submission: Submission) -> tuple[str, str]:
    importer = submission.submitted_by
    row = plan(pipeline.Inbound(channel=submission.channel, payload=submission.payload, submitted_by=importer,
                                received_at=submission.received_at))
    if row.status in (SubmissionStatus.INVALID, SubmissionStatus.SPAM):
        _mark(submission, row.status, errors={"fields": row.errors} if row.errors else {"reason": row.detail})
        return row.status, row.detail
    parsed = row.parsed
    assert parsed is not None
    # The slips the row is taken with (an unreadable phone kept as given): read back for the import's report.
    warned: dict[str, Any] = {"errors": {"warnings": row.warnings}} if row.warnings else {}
    person = parsed.person
    matching.lock_identity(person.keys())
    if row.client is not None or row.lead is not None:
        leads.attach_request(lead=row.lead, client=row.client, person=person, touch=parsed.touch,
                             message=parsed.message, submission_id=submission.pk, now=submission.received_at)
        _mark(submission, SubmissionStatus.ATTACHED, lead=row.lead, client=row.client, **warned)
        return SubmissionStatus.ATTACHED, row.detail
    owner = importer
    team = importer.team if importer and importer.team_id else None
    if row.company_client is not None:
        client = row.company_client
        if row.has_person:
            clients.add_contact(company=client.company, facts=person.keys(), full_name=person.full_name,
                                position=person.position, owner=client.owner, unreadable=person.unreadable)
        leads.attach_request(client=client, person=person, touch=parsed.touch, message=parsed.message,
                             submission_id=submission.pk, now=submission.received_at)
        _mark(submission, SubmissionStatus.ATTACHED, client=client, **warned)
        return SubmissionStatus.ATTACHED, row.detail
    company: Company | None = clients.company_for(
        name=person.company_name, legal_form=person.legal_form, city=person.city, owner=owner, **row.company)
    contact = clients.add_contact(company=company, facts=person.keys(), full_name=person.full_name,
                                  position=person.position, owner=owner,
                                  unreadable=person.unreadable) if row.has_person else None
    client = clients.create_client(company=company, contact=contact, owner=owner, team=team, by=importer)
    cut = any(item.get("code") == "too_long" for item in person.unreadable)
    if parsed.message or cut or (contact is None and (person.phone or person.email or person.unreadable)):
        # the row's comment, the contacts of a row that names no person, or the whole of a text too long for its
        # field (pipeline._keep_long_text) would be on no card otherwise
        leads.keep_first_request(client=client, person=person, touch=parsed.touch, message=parsed.message,
                                 submission_id=submission.pk, now=submission.received_at)
    _mark(submission, SubmissionStatus.CREATED, client=client, **warned)
    return SubmissionStatus.CREATED, ""
