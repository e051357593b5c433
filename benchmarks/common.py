"""What every benchmark script needs and none of them measures: the document, the machine, the run, servers.

Imported by the scripts in this folder as `import common` (a script run as `.venv/bin/python benchmarks/X.py`
has this folder on its path; the scripts also put it there themselves, so they import when loaded from
elsewhere). Only scaffolding lives here; what a benchmark seeds, loads and reports stays in its own script.

- the document: `markers(name)`, `write_section(name, section)` rewrite one section of docs/benchmarks.md,
  `publish` prints it and writes it unless told not to;
- the run: `run_lines`, `run_header`, `machine()`, `machine_line()`, `version(package)`, `git_revision()`, `logger(tag)`;
- figures: `percentile` (nearest rank), `interpolated_percentile`;
- databases: `postgres_base_url`, `with_database`, `recreate_postgres_db`, `fresh_django` (in-process
  Django on a fresh, migrated SQLite or PostgreSQL database), `insert_rows` (bulk INSERT of unsaved model objects);
- servers and load: `free_port`, `base_env`, `backend_env`, `start_server` / `stop_server` (the app under waitress),
  `process_cpu_seconds`, `in_threads`, `run_json` (a worker subprocess answering in JSON);
- the main of a script that measures each backend in a fresh process of its own: `main_per_backend`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import importlib.metadata
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
DOC_HEADER = """# Benchmarks

Measured figures of Leadflow on a stated machine. Each benchmark script rewrites only its own
section of this file (between its `<!-- name:start -->` / `<!-- name:end -->` markers); the numbers
are from the run named in the section, not hand-edited.
"""


# ====================================================================== the document


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of a benchmark's section of docs/benchmarks.md."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_section(name: str, section: str) -> None:
    """Put `section` (which starts and ends with the markers of `name`) in place of the old one, or at the
    end of the document when it has none yet. Nothing else in the file changes."""
    start, end = markers(name)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else DOC_HEADER
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + section.rstrip("\n") + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


def publish(name: str, section: str, *, write: bool = True) -> None:
    """Print the section and, unless write is false (a script's --no-doc), put it into docs/benchmarks.md."""
    print(section)
    if write:
        write_section(name, section)


# ====================================================================== the run


def machine() -> dict[str, str]:
    """CPU model, cores, RAM and OS of this machine, as the sections state them."""
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {
        "cpu": cpu or platform.processor() or "unknown",
        "cores": str(os.cpu_count()),
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
    }


def machine_line(*, ram: bool = True, python: bool = False) -> str:
    """`<cpu>, <n> cores, <ram> RAM, <os>`: the machine in one phrase (optionally without the RAM, with Python)."""
    m = machine()
    memory = f" {m['ram']} RAM," if ram else ""
    return f"{m['cpu']}, {m['cores']} cores,{memory} {m['os']}" + (f", Python {platform.python_version()}" if python else "")


def version(package: str, missing: str = "?") -> str:
    """The installed version of a distribution, or `missing`."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return missing


def git_revision() -> str:
    """The checkout's revision (`git describe --always --dirty`), or "unknown"."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=10"],
            cwd=str(ROOT),
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def logger(tag: str = "", *, out: TextIO | None = None) -> Callable[[str], None]:
    """A progress printer: `[<tag> HH:MM:SS] message` on stderr (or `out`), flushed at once."""
    prefix = f"{tag} " if tag else ""

    def log(message: str) -> None:
        print(f"[{prefix}{time.strftime('%H:%M:%S')}] {message}", file=out or sys.stderr, flush=True)

    return log


def run_lines(command: str, minutes: float, *, started: dt.datetime | None = None, revision: str = "") -> list[str]:
    """When the run was (`started`, else now; UTC), how long it took, on which code, and its command in a code
    block, followed by an empty line."""
    started = started or dt.datetime.now(dt.UTC)
    code = f" on code `{revision}`," if revision else ""
    return [f"Run {started:%Y-%m-%d %H:%M} UTC ({minutes:.1f} min){code} with:", "", "```", command, "```", ""]


def run_header(name: str, title: str, command: str, seconds: float) -> list[str]:
    """The first lines of a section: its start marker, its title, `run_lines`, and the machine with Python
    (the lines after are the benchmark's own)."""
    return [
        markers(name)[0], f"## {title}", "",
        *run_lines(command, seconds / 60),
        f"- Machine: {machine_line()}. Python {platform.python_version()}.",
    ]


# ====================================================================== figures


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0-100) of values sorted ascending; NaN when there are none."""
    if not values:
        return float("nan")
    rank = max(1, min(len(values), int(-(-len(values) * p // 100))))
    return values[rank - 1]


def interpolated_percentile(values: Iterable[float], fraction: float) -> float:
    """Percentile (fraction in 0-1) interpolated between the two nearest values; NaN when there are none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * fraction
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


# ====================================================================== databases


def local_postgres_url() -> str:
    """The URL of the local PostgreSQL scripts/postgres.sh serves (started when it is not running)."""
    out = subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh")], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def postgres_base_url(given: str | None, log: Callable[[str], None] | None = None) -> str:
    """The server to make benchmark databases on: `given`, else $LEADFLOW_BENCH_POSTGRES_URL, else the local one."""
    if given:
        return given
    if os.environ.get("LEADFLOW_BENCH_POSTGRES_URL"):
        return os.environ["LEADFLOW_BENCH_POSTGRES_URL"]
    if log:
        log("starting the local PostgreSQL (scripts/postgres.sh)")
    return local_postgres_url()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def recreate_postgres_db(base_url: str, name: str, *, drop_only: bool = False, force: bool = True) -> str:
    """Drop the database `name` on the server of `base_url` and (unless drop_only) create it empty; its URL.
    With force, sessions still connected to it are ended; without, the drop fails while there are any."""
    import psycopg

    with psycopg.connect(with_database(base_url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if force else ""))
        if not drop_only:
            conn.execute(f"CREATE DATABASE {name}")
    return with_database(base_url, name)


def fresh_django(backend: str, *, prefix: str, postgres_db: str = "", environ: dict[str, str] | None = None) -> None:
    """Django in this process on a fresh, migrated database: settings as shipped, logging at WARNING, a temporary
    data directory (prefix) with the SQLite file, or a fresh PostgreSQL database `postgres_db` on the local
    server; `environ` is set before Django reads its settings."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "leadflow.settings"
    os.environ["LEADFLOW_LOG_LEVEL"] = "WARNING"
    os.environ["LEADFLOW_DATA_DIR"] = tempfile.mkdtemp(prefix=prefix)
    if backend == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = recreate_postgres_db(local_postgres_url(), postgres_db, force=False)
    os.environ.update(environ or {})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def insert_rows(model: Any, objects: list[Any], *, with_pk: bool = False) -> None:
    """Plain executemany INSERT ... ON CONFLICT DO NOTHING of unsaved model objects (no RETURNING);
    several times faster than bulk_create. With with_pk the objects carry their ids (reset the
    sequence afterwards)."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT DO NOTHING"
    )
    rows = [tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields) for obj in objects]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# ====================================================================== servers and load


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(data_dir: Path, database_url: str | None = None, *, name: str = "intake") -> dict[str, str]:
    """The environment of a server or child process: this one's, with settings as shipped (DEBUG off, logging
    at WARNING), the benchmark endpoints on, `data_dir` for data and `database_url` (else SQLite there)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "leadflow.settings",
            "LEADFLOW_DATA_DIR": str(data_dir),
            "LEADFLOW_BENCHMARK_ENDPOINTS": "1",
            "LEADFLOW_SECRET_KEY": f"{name}-benchmark-not-a-secret",
            "LEADFLOW_LOG_LEVEL": "WARNING",
            "LEADFLOW_DEBUG": "0",
            "PYTHONPATH": str(ROOT),
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def backend_env(
    backend: str,
    work: Path,
    *,
    postgres_db: str,
    postgres_url: str | None = None,
    name: str = "intake",
    log: Callable[[str], None] | None = None,
) -> tuple[Path, dict[str, str], str | None]:
    """The data directory work/<backend> (made here) and `base_env` for the processes using it: a SQLite file
    there, or on PostgreSQL a fresh database `postgres_db` on `postgres_base_url(postgres_url)`. Returns the
    directory, the environment and that server's URL (None on SQLite), to drop the database afterwards."""
    data_dir = work / backend
    data_dir.mkdir(parents=True, exist_ok=True)
    base_url = database_url = None
    if backend == "postgres":
        base_url = postgres_base_url(postgres_url, log)
        database_url = recreate_postgres_db(base_url, postgres_db)
    return data_dir, base_env(data_dir, database_url, name=name), base_url


def start_server(
    env: dict[str, str], port: int, threads: int, log_path: Path, *, probe: str = "/api/submissions/0"
) -> subprocess.Popen:
    """The app under waitress on 127.0.0.1:port, once `GET probe` answers (any status)."""
    cmd = [
        sys.executable,
        "-m",
        "waitress",
        f"--listen=127.0.0.1:{port}",
        f"--threads={threads}",
        "leadflow.wsgi:application",
    ]
    with open(log_path, "wb") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(ROOT))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", probe)
            conn.getresponse().read()
            conn.close()
            return process
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    raise RuntimeError(f"the server did not answer within 60 s:\n{log_path.read_text()[-3000:]}")


def stop_server(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def process_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds a process has used so far (Linux /proc), or None."""
    if not pid:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def in_threads(target: Callable[..., None], arguments: Iterable[tuple[Any, ...]]) -> float:
    """Run target(*args) in one thread per tuple of arguments, all at once; the wall seconds until all end."""
    threads = [threading.Thread(target=target, args=args) for args in arguments]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def run_json(command: list[str], what: str) -> dict[str, Any]:
    """Run a worker subprocess (from the repository root) and read the JSON on the last line of its output;
    exits with the end of its stderr when it fails."""
    out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.exit(f"{what} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main_per_backend(
    parser: argparse.ArgumentParser,
    worker: Callable[[str, argparse.Namespace], dict[str, Any]],
    write_doc: Callable[[list[dict[str, Any]], str, float], str],
) -> None:
    """Run `worker(backend, args)` once per chosen backend, each in a fresh process of this same script (so one
    backend's Django settings, caches and database never leak into the other's figures), then print the section
    `write_doc(runs, command, seconds)` writes, or with --no-doc only the runs' JSON.

    Adds --backend (sqlite, postgres or both), --no-doc and the hidden --_worker to the script's own parser; the
    worker process gets the script's whole command line again, so every option of the script reaches it.
    """
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--no-doc", action="store_true", help="print the runs as JSON instead of writing docs/benchmarks.md")
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._worker:
        print(json.dumps(worker(args._worker, args)))
        return
    script = str(Path(sys.argv[0]).resolve())
    started = time.perf_counter()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    runs = [run_json([sys.executable, script, *sys.argv[1:], "--_worker", backend], backend) for backend in backends]
    if args.no_doc:
        print(json.dumps(runs, indent=1))
        return
    command = " ".join([f".venv/bin/python benchmarks/{Path(script).name}", *sys.argv[1:]])
    print(write_doc(runs, command, time.perf_counter() - started))
