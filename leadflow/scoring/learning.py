"""The learning part of the score, free of Django: feature rows in, a calibrated model as plain numbers out.

The model is a logistic regression over one-hot categories, 0/1 flags and log-scaled counts, with its
regularisation chosen by cross-validated log loss, and calibrated by Platt scaling fitted on
out-of-fold decision values (the sigmoid method of scikit-learn's CalibratedClassifierCV, done here so
the result is two numbers we can store as JSON). A logistic regression was chosen over boosted trees
because its log-odds split exactly into one share per feature, which gives each lead its reasons without
approximation, and because with a few hundred closed leads a linear model overfits least.

Everything fitted is kept in a `FittedModel`, which round-trips through JSON (`as_json` / `from_json`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

CATEGORY, FLAG, COUNT, NUMBER = "category", "flag", "count", "number"
COUNT_CAP = 50.0  # counts above this add nothing (log1p of a cap): one odd card must not dominate
MIN_VALUE_COUNT = 5  # a category value seen fewer times in training is treated as "another value"
C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
FOLDS = 5
SEED = 20260601

Spec = tuple[str, str]  # (feature name, kind)
Row = dict[str, Any]


@dataclass
class FittedModel:
    """A fitted, calibrated logistic regression: columns, scaling, coefficients and Platt's two numbers."""

    specs: list[Spec]
    columns: list[str]  # "source=Partner X", "calls", ...
    column_feature: list[int]  # index into specs for each column
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    platt_a: float
    platt_b: float
    regularisation: float
    prevalence: float
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FittedModel:
        data = dict(data)
        data["specs"] = [tuple(spec) for spec in data["specs"]]
        return cls(**data)

    # -- use

    def matrix(self, rows: Sequence[Row]) -> np.ndarray:
        return _encode(rows, self.specs, self.columns)

    def predict(self, rows: Sequence[Row]) -> np.ndarray:
        """Calibrated probabilities of conversion, one per row."""
        return self.explain(rows)[0]

    def explain(self, rows: Sequence[Row]) -> tuple[np.ndarray, np.ndarray, float]:
        """Probabilities, each feature's share of each row's calibrated log-odds, and the base log-odds.

        base + shares.sum(axis=1) is the calibrated log-odds of the row; the base is the log-odds of a lead
        whose every column sits at the training mean, so a share says how much this lead's value of that
        feature moves it from there.
        """
        if not rows:
            return np.zeros(0), np.zeros((0, len(self.specs))), 0.0
        x = (self.matrix(rows) - np.asarray(self.mean)) / np.asarray(self.scale)
        per_column = x * (np.asarray(self.coef) * self.platt_a)
        grouping = np.zeros((len(self.columns), len(self.specs)))
        grouping[np.arange(len(self.columns)), self.column_feature] = 1.0
        shares = per_column @ grouping
        base = self.platt_a * self.intercept + self.platt_b
        logits = base + shares.sum(axis=1)
        return _sigmoid(logits), shares, base


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def _columns(rows: Sequence[Row], specs: Sequence[Spec]) -> tuple[list[str], list[int]]:
    columns: list[str] = []
    owners: list[int] = []
    for index, (name, kind) in enumerate(specs):
        if kind == CATEGORY:
            seen = Counter(str(row.get(name, "")) for row in rows)
            for value, count in sorted(seen.items()):
                if count >= MIN_VALUE_COUNT:
                    columns.append(f"{name}={value}")
                    owners.append(index)
        else:
            columns.append(name)
            owners.append(index)
    return columns, owners


def _encode(rows: Sequence[Row], specs: Sequence[Spec], columns: Sequence[str]) -> np.ndarray:
    position = {column: i for i, column in enumerate(columns)}
    matrix = np.zeros((len(rows), len(columns)))
    kinds = dict(specs)
    for r, row in enumerate(rows):
        for name, kind in kinds.items():
            value = row.get(name)
            if kind == CATEGORY:
                column = position.get(f"{name}={'' if value is None else value}")
                if column is not None:
                    matrix[r, column] = 1.0
                continue
            column = position.get(name)
            if column is None:
                continue
            number = 0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
            if kind == COUNT:
                number = math.log1p(min(max(number, 0.0), COUNT_CAP))
            matrix[r, column] = number
    return matrix


def fit(rows: Sequence[Row], labels: Sequence[int], specs: Sequence[Spec]) -> FittedModel:
    """Fit and calibrate on these rows; needs both outcomes, at least FOLDS of each."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels, dtype=int)
    positives = int(y.sum())
    if min(positives, len(y) - positives) < FOLDS:
        raise ValueError(f"need at least {FOLDS} leads of each outcome, got {positives} of {len(y)} converted")
    columns, owners = _columns(rows, specs)
    raw = _encode(rows, specs, columns)
    # A column with one value in all of training says nothing, and its (rounding-error) spread would blow a
    # different value up to a huge number when scoring: drop it.
    varies = raw.std(axis=0) > 1e-9
    columns = [column for column, keep in zip(columns, varies, strict=True) if keep]
    owners = [owner for owner, keep in zip(owners, varies, strict=True) if keep]
    raw = raw[:, varies]
    mean = raw.mean(axis=0)
    scale = raw.std(axis=0)
    x = (raw - mean) / scale
    folds = list(StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(x, y))

    regularisation = _choose_regularisation(x, y, folds)
    # Platt scaling on decision values the model gave rows it was not fitted on: an honest calibration.
    decision = _out_of_fold(x, y, folds, regularisation, decision=True)
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(decision.reshape(-1, 1), y)
    model = LogisticRegression(C=regularisation, max_iter=2000).fit(x, y)
    return FittedModel(
        specs=[tuple(spec) for spec in specs], columns=columns, column_feature=owners,
        mean=mean.tolist(), scale=scale.tolist(), coef=model.coef_[0].tolist(), intercept=float(model.intercept_[0]),
        platt_a=float(platt.coef_[0][0]), platt_b=float(platt.intercept_[0]), regularisation=regularisation,
        prevalence=positives / len(y),
    )


def _out_of_fold(x: np.ndarray, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]], regularisation: float,
                 *, decision: bool = False) -> np.ndarray:
    """Each row's decision value (or probability) from a model fitted on the other folds.

    A plain loop rather than cross_val_predict: on a few hundred rows its per-call overhead is most of the time.
    """
    from sklearn.linear_model import LogisticRegression

    result = np.zeros(len(y))
    for train, test in folds:
        model = LogisticRegression(C=regularisation, max_iter=2000).fit(x[train], y[train])
        result[test] = model.decision_function(x[test]) if decision else model.predict_proba(x[test])[:, 1]
    return result


def _choose_regularisation(x: np.ndarray, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """The inverse regularisation strength with the best cross-validated log loss."""
    from sklearn.metrics import log_loss

    best, best_loss = C_GRID[0], math.inf
    for value in C_GRID:
        loss = log_loss(y, _out_of_fold(x, y, folds, value), labels=[0, 1])
        if loss < best_loss - 1e-9:
            best, best_loss = value, loss
    return best


def cross_validated(rows: Sequence[Row], labels: Sequence[int], specs: Sequence[Spec]) -> np.ndarray:
    """Out-of-fold probabilities of the whole procedure (choice of C and calibration included)."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels, dtype=int)
    result = np.zeros(len(y))
    for train, test in StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED + 1).split(np.zeros(len(y)), y):
        fitted = fit([rows[i] for i in train], y[train], specs)
        result[test] = fitted.predict([rows[i] for i in test])
    return result


def evaluate(labels: Sequence[int], probabilities: Sequence[float], *, prevalence: float | None = None,
             bins: int = 10) -> dict[str, Any]:
    """ROC AUC, log loss, Brier, the log loss of always predicting the prevalence, and a calibration table."""
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    y = np.asarray(labels, dtype=int)
    p = np.clip(np.asarray(probabilities, dtype=float), 1e-6, 1 - 1e-6)
    rate = float(y.mean()) if prevalence is None else prevalence
    base = np.full(len(y), min(max(rate, 1e-6), 1 - 1e-6))
    order = np.argsort(p, kind="stable")
    table = []
    for chunk in np.array_split(order, min(bins, len(y))):
        if len(chunk):
            table.append({"n": len(chunk), "predicted": float(p[chunk].mean()), "observed": float(y[chunk].mean())})
    return {
        "n": len(y),
        "positives": int(y.sum()),
        "auc": float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None,
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "base_log_loss": float(log_loss(y, base, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "base_brier": float(brier_score_loss(y, base)),
        "mean_predicted": float(p.mean()),
        "observed_rate": float(y.mean()),
        "calibration": table,
    }
