"""Test settings: the production module with fast hashing and jobs run in-process."""

import os

import dj_database_url

from leadflow.settings import *  # noqa: F403
from leadflow.settings import DATA_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LEADFLOW_TIME_ZONE = "Europe/Moscow"
LEADFLOW_BACKUP_AT = ""  # no daily backups from the tests' worker ticks (tests that want them set a time)

# TEST_DATABASE_URL runs the whole suite on PostgreSQL; otherwise SQLite in memory.
_test_url = os.environ.get("TEST_DATABASE_URL", "")
if _test_url:
    DATABASES = {"default": dj_database_url.parse(_test_url)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "test.sqlite3"),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
