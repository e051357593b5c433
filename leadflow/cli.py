"""The `leadflow` console script: the project's commands, and every Django command besides.

The project commands are management commands in leadflow/core/management/commands/; this only
points Django at the settings and dispatches, so `leadflow shell` or `leadflow dbshell` work too.
"""

from __future__ import annotations

import os
import sys

USAGE = """\
Leadflow: lead management.

  leadflow run                migrate, demo data on the first run, web server + worker
  leadflow worker             background jobs and the scheduler
  leadflow smtpd              receive e-mailed leads over SMTP (LEADFLOW_SMTPD_ADDRESSES)
  leadflow pollmail           take unread mail from the IMAP mailboxes set up in the admin, once
  leadflow migrate            apply database migrations
  leadflow demo               load the demo data (once)
  leadflow createadmin        create an administrator
  leadflow createtoken USER   print a personal API token for a user
  leadflow report NAME --as USER   a report (funnel, conversion, speed, managers, refusals, costs)
  leadflow loadholidays RU 2027 [--team NAME]   a country's holidays and transferred working days for a year
  leadflow importspend FILE   import campaign spend (campaign,day,clicks,cost) from a CSV file
  leadflow import FILE --as USER [--dry-run]   import leads or clients from CSV / XLSX
  leadflow score [--train]    rescore the open leads, or retrain the predictive score first
  leadflow privacy export|erase --email X   export or erase a person's data (erase: --as ADMIN)
  leadflow encryption [--rotate|--new-key]   check, re-encrypt (first key) or make a key for stored secrets
  leadflow backup [--to DIR] [--list]   back up the database, kept files and key while Leadflow runs
  leadflow restore FILE       put a backup back (Leadflow stopped; what is there is saved first)
  leadflow <django command>   shell, dbshell, changepassword, makemigrations, ...
  leadflow help [command]     every command, or one command's options
"""


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy loads: the score trains on one core
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["leadflow", *argv[1:]])


if __name__ == "__main__":
    main()
