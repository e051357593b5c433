"""Leadflow settings: one module, every knob an environment variable (see .env.example)."""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("LEADFLOW_DATA_DIR", str(Path.cwd() / "var"))).resolve()


def _secret_key() -> str:
    """Use LEADFLOW_SECRET_KEY, or make one per installation and keep it in the data directory."""
    configured = env_str("LEADFLOW_SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("LEADFLOW_DEBUG", False)
ALLOWED_HOSTS = env_list("LEADFLOW_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("LEADFLOW_CSRF_TRUSTED_ORIGINS", "")
LEADFLOW_BASE_URL = env_str("LEADFLOW_BASE_URL", "http://127.0.0.1:8000")
# The reverse proxy in front of `leadflow run`, if any (its address, or "*"): see core/commands/run.py.
LEADFLOW_TRUSTED_PROXY = env_str("LEADFLOW_TRUSTED_PROXY")

INSTALLED_APPS = [
    "leadflow.core.admin_titles.LeadflowAdminConfig",  # django.contrib.admin, its titles in grammatical Russian
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "leadflow.core.apps.TasksDatabaseConfig",  # django_tasks_db, its admin section named in the reader's language
    "leadflow.core",
    "leadflow.accounts",
    "leadflow.events",
    "leadflow.matching",
    "leadflow.marketing",
    "leadflow.clients",
    "leadflow.leads",
    "leadflow.intake",
    "leadflow.partners",
    "leadflow.analytics",
    "leadflow.telephony",
    "leadflow.imports",
    "leadflow.warming",
    "leadflow.privacy",
    "leadflow.core.apps.AxesConfig",  # django-axes, its admin section named in the reader's language
    "ninja",  # the API docs page serves its bundled Swagger UI, not one from a CDN (closed networks, CSP)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "leadflow.accounts.middleware.UserPreferencesMiddleware",
    # Who a change is by, for the routing history (leadflow.accounts.actor).
    "leadflow.accounts.actor.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the "too many attempts" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "leadflow.urls"
WSGI_APPLICATION = "leadflow.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "leadflow.leads.context.navigation",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            # Django's SQLite backend; the server's threads queue for the write lock in the process
            # (leadflow/core/sqlite/base.py) instead of polling SQLite's lock.
            "ENGINE": "leadflow.core.sqlite",
            "NAME": DATA_DIR / "leadflow.sqlite3",
            "OPTIONS": {
                # WAL lets the worker and the web threads read while one writes;
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue
                # instead of deadlocking on a lock upgrade.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Keep each server thread's connection: reopening it (and its PRAGMAs) costs more than
            # a whole one-row insert.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Password guessing (django-axes): after LEADFLOW_LOGIN_FAILURE_LIMIT wrong passwords for one user name from one
# address, that pair may not log in for LEADFLOW_LOGIN_LOCKOUT_MINUTES (a further try restarts the wait), even with
# the right password. User name *and* address: a whole office behind one address is not locked out by one person's
# typos, and a guesser cannot lock a manager out from elsewhere. The attempts are kept in the database: the admin's
# "Access attempts" lists them (delete one to unlock), `leadflow axes_reset` clears them all.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend",
                           "leadflow.accounts.permissions.RolePermissionsBackend"]  # the admin's rights by role
AXES_FAILURE_LIMIT = env_int("LEADFLOW_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LEADFLOW_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Successful logins are kept this many days in the admin's "Access logs" (the worker forgets older ones).
LEADFLOW_LOGIN_LOG_DAYS = env_int("LEADFLOW_LOGIN_LOG_DAYS", 180)
AXES_VERBOSE = False  # no banner on every command; lockouts are still logged as warnings
AXES_LOCKOUT_CALLABLE = "leadflow.accounts.lockout.lockout_response"
# REMOTE_ADDR, never a client's own X-Forwarded-For: behind a proxy `leadflow run` already put the address the
# trusted proxy saw there (LEADFLOW_TRUSTED_PROXY).
AXES_CLIENT_IP_CALLABLE = "leadflow.accounts.lockout.client_address"
AXES_ALLOWED_CORS_ORIGINS = "{0.scheme}://{0.netloc}".format(urlsplit(LEADFLOW_BASE_URL))

LANGUAGE_CODE = env_str("LEADFLOW_LANGUAGE", "en")
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
FORMS_URLFIELD_ASSUME_HTTPS = True
TIME_ZONE = "UTC"
# The zone used for teams that set none, and for showing times to users without one.
LEADFLOW_TIME_ZONE = env_str("LEADFLOW_TIME_ZONE", "Europe/Moscow")

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"

TASKS = {
    "default": {
        "BACKEND": env_str("LEADFLOW_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

EMAIL_HOST = env_str("LEADFLOW_EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("LEADFLOW_EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("LEADFLOW_EMAIL_USER")
    EMAIL_HOST_PASSWORD = env_str("LEADFLOW_EMAIL_PASSWORD")
    EMAIL_USE_TLS = env_bool("LEADFLOW_EMAIL_TLS", False)
else:
    # The embedded default writes each message to a file instead of sending it.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("LEADFLOW_FROM_EMAIL", "leadflow@localhost")

# Domain settings
LEADFLOW_DEFAULT_REGION = env_str("LEADFLOW_DEFAULT_REGION", "RU")
LEADFLOW_SLA_MINUTES = env_int("LEADFLOW_SLA_MINUTES", 15)
# How often an open pool page looks for new leads (seconds).
LEADFLOW_POOL_REFRESH_SECONDS = env_int("LEADFLOW_POOL_REFRESH_SECONDS", 15)
# Matching: at or above the upper score a repeat touch attaches to the card by itself; between the two
# thresholds a new card is created and flagged "possible duplicate" for a person to decide.
LEADFLOW_MATCH_UPPER = env_float("LEADFLOW_MATCH_UPPER", 0.9)
LEADFLOW_MATCH_LOWER = env_float("LEADFLOW_MATCH_LOWER", 0.6)
LEADFLOW_BENCHMARK_ENDPOINTS = env_bool("LEADFLOW_BENCHMARK_ENDPOINTS", False)
LEADFLOW_SCHEDULER_INTERVAL = env_float("LEADFLOW_SCHEDULER_INTERVAL", 30.0)
# Partner postbacks: first retry after this many seconds, doubled after each failure; give up after N attempts.
LEADFLOW_POSTBACK_RETRY_SECONDS = env_float("LEADFLOW_POSTBACK_RETRY_SECONDS", 60.0)
LEADFLOW_POSTBACK_MAX_ATTEMPTS = env_int("LEADFLOW_POSTBACK_MAX_ATTEMPTS", 8)
LEADFLOW_POSTBACK_TIMEOUT = env_float("LEADFLOW_POSTBACK_TIMEOUT", 5.0)
# Hosts postbacks may reach although they are private or loopback (a partner inside your network); none by default.
LEADFLOW_POSTBACK_ALLOW_HOSTS = env_list("LEADFLOW_POSTBACK_ALLOW_HOSTS", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LEADFLOW_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Web forms (intake.webforms): rate limits per visitor IP and per form within a window of seconds, the
# largest body accepted, and how long a second identical submission counts as a double click.
LEADFLOW_FORM_RATE_PER_IP = env_int("LEADFLOW_FORM_RATE_PER_IP", 20)
LEADFLOW_FORM_RATE_PER_FORM = env_int("LEADFLOW_FORM_RATE_PER_FORM", 600)
LEADFLOW_FORM_RATE_WINDOW = env_int("LEADFLOW_FORM_RATE_WINDOW", 600)
# Password-reset mails per address typed and per sender's address in that window.
LEADFLOW_PASSWORD_RESET_PER_EMAIL = env_int("LEADFLOW_PASSWORD_RESET_PER_EMAIL", 3)
LEADFLOW_PASSWORD_RESET_PER_IP = env_int("LEADFLOW_PASSWORD_RESET_PER_IP", 10)
LEADFLOW_FORM_MAX_BYTES = env_int("LEADFLOW_FORM_MAX_BYTES", 16 * 1024)
LEADFLOW_FORM_DUPLICATE_SECONDS = env_int("LEADFLOW_FORM_DUPLICATE_SECONDS", 60)

# Incoming e-mail (leadflow.inbox): `leadflow smtpd` and the worker's IMAP polling.
INSTALLED_APPS += ["leadflow.inbox"]
# Addresses `leadflow smtpd` takes mail for, comma-separated; "@example.com" takes a whole domain.
LEADFLOW_SMTPD_ADDRESSES = env_list("LEADFLOW_SMTPD_ADDRESSES", "")
LEADFLOW_SMTPD_HOST = env_str("LEADFLOW_SMTPD_HOST", "127.0.0.1")
LEADFLOW_SMTPD_PORT = env_int("LEADFLOW_SMTPD_PORT", 2525)
LEADFLOW_SMTPD_MAX_BYTES = env_int("LEADFLOW_SMTPD_MAX_BYTES", 25 * 1024 * 1024)
# `leadflow run` also starts the SMTP server (off by default; needs LEADFLOW_SMTPD_ADDRESSES).
LEADFLOW_SMTPD_IN_RUN = env_bool("LEADFLOW_SMTPD_IN_RUN", False)
# Seconds between the worker's polls of the IMAP mailboxes configured in the admin.
LEADFLOW_MAIL_POLL_INTERVAL = env_float("LEADFLOW_MAIL_POLL_INTERVAL", 60.0)

# Predictive score (leadflow.scoring): a calibrated conversion probability for every open lead.
INSTALLED_APPS += ["leadflow.scoring"]
# Below this many closed (converted + refused) leads, or this many of either outcome, the score says so.
LEADFLOW_SCORING_MIN_CLOSED = env_int("LEADFLOW_SCORING_MIN_CLOSED", 200)
LEADFLOW_SCORING_MIN_PER_OUTCOME = env_int("LEADFLOW_SCORING_MIN_PER_OUTCOME", 20)
# Hours between the worker's retraining runs (0: only on demand); days of a lead's life the score looks at.
LEADFLOW_SCORING_RETRAIN_HOURS = env_float("LEADFLOW_SCORING_RETRAIN_HOURS", 24.0)
LEADFLOW_SCORING_WINDOW_DAYS = env_int("LEADFLOW_SCORING_WINDOW_DAYS", 14)
# Train on at most this many of the newest closed leads.
LEADFLOW_SCORING_MAX_CLOSED = env_int("LEADFLOW_SCORING_MAX_CLOSED", 50000)

# Consent and personal data (leadflow.privacy): the key of the hashes that keep an erased person's e-mails
# and phones from being re-imported. Empty: the secret key (changing it then unblocks every erased person).
LEADFLOW_ERASURE_KEY = env_str("LEADFLOW_ERASURE_KEY")

# Segments and e-mail sequences (leadflow.nurture).
INSTALLED_APPS += ["leadflow.nurture"]
# Marketing e-mails sent per recipient domain per minute; the rest wait for the next tick (never dropped).
LEADFLOW_MAIL_PER_DOMAIN_PER_MINUTE = env_int("LEADFLOW_MAIL_PER_DOMAIN_PER_MINUTE", 30)
# Warming: the tracking snippet's endpoint (/t/<key>/events), limited like the web forms (same window).
LEADFLOW_TRACK_RATE_PER_IP = env_int("LEADFLOW_TRACK_RATE_PER_IP", 300)
LEADFLOW_TRACK_RATE_PER_SITE = env_int("LEADFLOW_TRACK_RATE_PER_SITE", 60_000)
LEADFLOW_TRACK_MAX_BYTES = env_int("LEADFLOW_TRACK_MAX_BYTES", 16 * 1024)
LEADFLOW_TRACK_MAX_EVENTS = env_int("LEADFLOW_TRACK_MAX_EVENTS", 20)

# Secrets Leadflow reads back (IMAP passwords, telephony keys) are stored encrypted (leadflow.core.encryption).
# Comma-separated Fernet keys: the first encrypts, all decrypt (rotate: put a new key first, run
# `leadflow encryption --rotate`, then drop the old one). Empty: a key derived from the secret key.
LEADFLOW_ENCRYPTION_KEYS = env_list("LEADFLOW_ENCRYPTION_KEYS", "")

# Backups (`leadflow backup`, `leadflow restore FILE`; leadflow.core.backup). The worker makes one a day at
# LEADFLOW_BACKUP_AT (the site's time; empty: never) and keeps the LEADFLOW_BACKUP_KEEP newest. On by default for
# the embedded SQLite database; with PostgreSQL (pg_dump) only when a time is set.
LEADFLOW_BACKUP_DIR = Path(env_str("LEADFLOW_BACKUP_DIR", str(DATA_DIR / "backups"))).resolve()
LEADFLOW_BACKUP_AT = env_str("LEADFLOW_BACKUP_AT", "" if DATABASE_URL else "03:00")
LEADFLOW_BACKUP_KEEP = env_int("LEADFLOW_BACKUP_KEEP", 7)

# Cookies (session, CSRF, language) travel only over HTTPS when the site is served over HTTPS
# (LEADFLOW_BASE_URL https://...); LEADFLOW_SECURE_COOKIES=true/false overrides. JavaScript never reads the
# session cookie; other sites' pages may not frame ours, nor learn our addresses from the Referer.
LEADFLOW_SECURE_COOKIES = env_bool("LEADFLOW_SECURE_COOKIES", LEADFLOW_BASE_URL.lower().startswith("https://"))
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = LEADFLOW_SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Once a browser has seen the site over HTTPS it refuses plain HTTP to it for this many seconds (HSTS; sent only
# on HTTPS requests, so behind a proxy set LEADFLOW_TRUSTED_PROXY for the scheme to be known). Default: a year
# when LEADFLOW_BASE_URL is https://, otherwise off. Subdomains are not included: they may be other servers.
SECURE_HSTS_SECONDS = env_int("LEADFLOW_HSTS_SECONDS", 365 * 24 * 3600 if LEADFLOW_SECURE_COOKIES else 0)
# Who may read the API's documentation (/api/docs and /api/openapi.json; it describes the endpoints and holds no
# data): "public" (default: partners integrate against it without an account), "signed-in" (a user's session or
# token, or a partner's key), or "off".
LEADFLOW_API_DOCS = env_str("LEADFLOW_API_DOCS", "public").strip().lower()
if LEADFLOW_API_DOCS not in {"public", "signed-in", "off"}:
    raise ImproperlyConfigured(f"LEADFLOW_API_DOCS={LEADFLOW_API_DOCS!r}: give public, signed-in or off.")
# Content-Security-Policy (django-csp): a page runs only scripts served from this site (no inline script, no
# handler attributes, no eval), so markup that slipped into a page from a public form could not run. Styles may
# be inline; images may come from https (e-mail templates' pictures in the preview). A hosted web form adds the
# origin of its redirect to form-action (leadflow.intake.webforms).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
