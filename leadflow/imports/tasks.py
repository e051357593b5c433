"""Background jobs of imports: the dry run and the import run in the worker, not in a request."""

from django_tasks import task


@task()
def run_job(job_id: int, dry: bool) -> None:
    """Dry-run or import one job; the job row carries the progress and the outcome."""
    from leadflow.imports.services import execute

    execute(job_id, dry)
