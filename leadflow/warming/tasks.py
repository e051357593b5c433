"""Background jobs of warming."""

from django_tasks import task


@task()
def rescore_all_leads() -> int:
    """After the half-life or thresholds changed: rebuild every lead's points from its history."""
    from leadflow.leads.models import Lead
    from leadflow.warming.models import LeadScore
    from leadflow.warming.services import rescore

    count = 0
    for lead in Lead.objects.filter(pk__in=LeadScore.objects.values("lead_id")).only("pk", "temperature").iterator():
        rescore(lead=lead)
        count += 1
    return count
