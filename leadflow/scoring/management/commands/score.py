"""`leadflow score [--train]`: rescore the open leads with the model in use, or train a new one first."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leadflow.scoring import services


class Command(BaseCommand):
    help = "Rescore the open leads with the model in use; --train trains a new model on the closed leads first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--train", action="store_true", help="train on the closed leads now, then rescore")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["train"]:
            run = services.train_model()
        else:
            run = services.current_model()
            if run is None:
                raise CommandError("No model yet: run `leadflow score --train`.")
            if run.is_trained:
                run.n_scored = services.score_open_leads(model=run)
        if not run.is_trained:
            raise CommandError(
                f"Not enough closed leads: {run.n_closed} of {run.n_needed} needed "
                f"({run.n_positive} converted, {run.n_negative} refused; at least {run.n_needed_per_class} of each)."
            )
        metrics = run.metrics
        self.stdout.write(
            f"Model #{run.pk} of {run.trained_at:%Y-%m-%d %H:%M} UTC: {run.n_closed} closed leads "
            f"({run.n_positive} converted). Cross-validated ROC AUC {metrics['auc']:.3f}, "
            f"log loss {metrics['log_loss']:.3f} (base rate {metrics['base_log_loss']:.3f}), "
            f"Brier {metrics['brier']:.3f}. Scored {run.n_scored} open leads."
        )
