"""Which submission created a lead: the one its form, partner and payout are counted for.

A merge moves every submission of the merged cards to the survivor, so a survivor may hold several accepted
(created) submissions: its own and those of the cards merged into it. The survivor keeps the first touch (the
earliest card's creation time, channel, source and campaign; leads.merging), and so does its creator: of the
accepted submissions of the lead's own channel, the earliest. A card of another channel merged into it (a partner's
lead merged into an earlier web-form lead, a manual card merged with a partner's later one) created nothing: it was
the same person again. Counting every accepted submission instead counted the one person for the form and for the
partner, and paid the partner for a person who was already a lead.
"""

from __future__ import annotations

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet

from leadflow.intake.models import Submission, SubmissionStatus


def earlier_accepted() -> QuerySet[Submission]:
    """Accepted submissions of the outer submission's lead and channel, received before it (ties by id)."""
    return Submission.objects.filter(
        Q(received_at__lt=OuterRef("received_at")) | Q(received_at=OuterRef("received_at"), pk__lt=OuterRef("pk")),
        lead_id=OuterRef("lead_id"), status=SubmissionStatus.CREATED, channel=OuterRef("channel"),
    )


def created_the_lead() -> Q:
    """The condition on a submission: it is the one that created its lead (as the lead is now, merges included)."""
    return (Q(status=SubmissionStatus.CREATED, lead__isnull=False, channel=F("lead__channel"))
            & ~Q(Exists(earlier_accepted())))


def created_it() -> ExpressionWrapper:
    """`created_the_lead()` as a column to annotate a submission with (true for the one that created its lead)."""
    return ExpressionWrapper(created_the_lead(), output_field=BooleanField())


def creating_submissions() -> QuerySet[Submission]:
    """One submission per lead a submission created: the lead's form and partner are this one's."""
    return Submission.objects.filter(created_the_lead())
