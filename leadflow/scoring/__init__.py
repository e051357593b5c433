"""The predictive lead score: a conversion probability for every open lead, learned from the closed ones."""

import os

# scikit-learn and numpy read this when they are first imported: one thread, so training in the worker
# never takes every core of a machine shared with the web server (and results do not depend on threads).
os.environ.setdefault("OMP_NUM_THREADS", "1")
