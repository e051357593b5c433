"""How many examples a fuzz test tries, and from which seed: `examples(n)` is the Hypothesis settings of one.

In the suite, `n` examples derived from a fixed seed, so a run is repeatable and CI does not fail by chance;
with `LEADFLOW_FUZZ_EXAMPLES=N` set, N fresh random examples each run, to look harder."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

ASKED = os.environ.get("LEADFLOW_FUZZ_EXAMPLES")


def examples(default: int) -> settings:
    return settings(max_examples=int(ASKED or default), deadline=None, derandomize=ASKED is None, database=None,
                    suppress_health_check=list(HealthCheck))
