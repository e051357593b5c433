"""The `leadflow` console script: project commands, and every Django command besides.

leadflow run           migrate, demo data on first run, web server + worker
leadflow worker        background jobs and the scheduler
leadflow migrate       apply database migrations
leadflow demo          load demo data (once)
leadflow createadmin   create an administrator
leadflow createtoken   print a personal API token for a user
leadflow shell | dbshell | makemigrations | ...   Django's own commands
"""

from __future__ import annotations

import os
import sys

USAGE = (__doc__ or "").split("\n\n", 1)[
    1
].rstrip() + "\n\n    leadflow help [command]   all commands, or one's options\n"


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        sys.stdout.write("Leadflow: lead management.\n\n" + USAGE)
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["leadflow", *argv[1:]])


if __name__ == "__main__":
    main()
