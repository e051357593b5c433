"""Background jobs of the score: a training run happens in the worker, never in a request."""

from django_tasks import task


@task()
def train_queued_model(model_id: int) -> None:
    """Train the claimed run (idempotent: a run that already finished is left alone)."""
    from leadflow.scoring.models import ModelStatus, ScoringModel
    from leadflow.scoring.services import train_model

    run = ScoringModel.objects.filter(pk=model_id, status=ModelStatus.TRAINING).first()
    if run is not None:
        train_model(run=run)
