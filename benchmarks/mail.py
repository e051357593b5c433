"""E-mail intake: `leadflow smtpd` (store raw, parse, pipeline) against a bare SMTP sink (store raw only).

    .venv/bin/python benchmarks/mail.py                 # ~2 min on 2 cores
    .venv/bin/python benchmarks/mail.py --seconds 5 --rounds 2 --concurrency 1 --no-doc

Both servers run as processes of their own on a fresh SQLite file and are loaded in alternating rounds
by smtplib clients in this process, with the same messages: Russian and English people in UTF-8,
windows-1251 and KOI8-R, quoted-printable and base64, some HTML-only, some with a 40 KB attachment,
a fifth of them repeat touches. The baseline ("bare") is aiosmtpd with a handler that commits the raw
bytes in one INSERT and answers 250: the least an SMTP intake that never loses a message can do.
Also times `parsing.parse` alone, in process. Writes the mail section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import smtplib
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # the benchmarks' shared scaffolding (benchmarks/common.py)

ROOT = common.ROOT
sys.path.insert(0, str(ROOT))
MARK_START, MARK_END = common.markers("mail")

FIRST = ["Иван", "Пётр", "Анна", "Мария", "Олег", "Elena", "John", "Sarah", "Дмитрий", "Ольга", "Сергей", "Наталья",
         "Алексей", "Татьяна", "Michael", "Emma", "Николай", "Екатерина", "Андрей", "Юлия"]
LAST = ["Петров", "Сидоров", "Смирнов", "Кузнецов", "Волков", "Ivanov", "Smith", "Brown", "Орлов", "Зайцев",
        "Соколов", "Попов", "Лебедев", "Козлов", "Новиков", "Морозов", "Miller", "Wilson", "Фёдоров", "Михайлов"]
COMPANIES = ["ООО Ромашка", "АО Вектор", "Acme Trading", "ООО Север", "Globex"]
CHARSETS = [("utf-8", "base64"), ("windows-1251", "base64"), ("koi8-r", "quoted-printable"),
            ("utf-8", "quoted-printable"), ("windows-1251", "8bit")]


def messages(count: int, seed: int = 7) -> list[bytes]:
    from leadflow.inbox.tests.messages import build

    rng = random.Random(seed)
    out = []
    for i in range(count):
        who = rng.randrange(i) if i % 5 == 4 else i  # every fifth is a repeat touch of an earlier person
        first, last = FIRST[who % len(FIRST)], LAST[(who // len(FIRST)) % len(LAST)]
        phone = f"+7 9{who % 100:02d} {who // 100 % 1000:03d}-{(who * 7) % 100:02d}-{(who * 13) % 100:02d}"
        company = f"{COMPANIES[who % len(COMPANIES)]} {who // 5}"  # about five people per company
        charset, cte = CHARSETS[i % len(CHARSETS)]
        body = (f"Здравствуйте!\n\nИнтересует поставка, заявка {i}. Пришлите прайс и условия.\n\n"
                f"С уважением,\n{first} {last}\n{company}\nтел. {phone}\n")
        html = i % 4 == 3
        if html:
            body = "<html><body>" + "".join(f"<p>{line}</p>" for line in body.splitlines()) + "</body></html>"
            charset = "utf-8"
        attachments = (("прайс.pdf", "application/pdf", bytes(rng.randrange(256) for _ in range(40_000))),) \
            if i % 10 == 5 else ()
        out.append(build(body=body, subject=f"Заявка {i}", sender=(f"{first} {last}", f"p{who}@mail{who % 50}.ru"),
                         charset=charset, cte=cte, html=html, message_id=f"<bench-{i}-{seed}@mail.test>",
                         attachments=attachments))
    return out


# ---------------------------------------------------------------- the bare sink (a process of its own)


def bare_server(database: str) -> None:
    import asyncio

    from aiosmtpd.smtp import SMTP

    connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE IF NOT EXISTS raw (id INTEGER PRIMARY KEY, received_at TEXT, body BLOB)")

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            connection.execute("INSERT INTO raw (received_at, body) VALUES (datetime('now'), ?)",
                               (envelope.original_content,))
            return "250 OK"

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(Sink(), hostname="bench", loop=loop), host="127.0.0.1", port=0))
    print(f"SMTP server listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    loop.run_forever()


# ---------------------------------------------------------------- load


def start(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    for line in iter(process.stdout.readline, ""):
        match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if match:
            threading.Thread(target=lambda: process.stdout.read(), daemon=True).start()
            return process, int(match.group(1))
        if time.monotonic() > deadline:
            break
    process.kill()
    raise SystemExit(f"server did not start: {command}")


def load(port: int, bodies: list[bytes], start_index: int, seconds: float, concurrency: int) -> dict:
    latencies: list[float] = []
    lock = threading.Lock()
    counter = [start_index]
    stop_at = time.monotonic() + seconds

    def client() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            while time.monotonic() < stop_at:
                with lock:
                    index = counter[0]
                    counter[0] += 1
                body = bodies[index % len(bodies)]
                began = time.perf_counter()
                smtp.sendmail("bench@mail.test", ["sales@example.com"], body)
                with lock:
                    latencies.append(time.perf_counter() - began)

    elapsed = common.in_threads(client, [() for _ in range(concurrency)])
    latencies.sort()
    return {"sent": len(latencies), "per_second": len(latencies) / elapsed,
            "p50_ms": latencies[len(latencies) // 2] * 1000,
            "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
            "next": counter[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bare-server", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", default="1,4")
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    if args.bare_server:
        bare_server(args.bare_server)
        return

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings.test")
    import django

    django.setup()
    from leadflow.inbox import parsing

    began_run = time.monotonic()
    bodies = messages(args.messages)
    parse_started = time.perf_counter()
    for body in bodies[:1000]:
        parsing.parse(body)
    parse_ms = (time.perf_counter() - parse_started) / min(1000, len(bodies)) * 1000

    work = Path(tempfile.mkdtemp(prefix="leadflow-mail-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_") and k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="leadflow.settings", LEADFLOW_DATA_DIR=str(work / "data"),
               LEADFLOW_SECRET_KEY="bench", LEADFLOW_SMTPD_ADDRESSES="sales@example.com", LEADFLOW_LOG_LEVEL="WARNING",
               PYTHONUNBUFFERED="1")
    leadflow = [str(Path(sys.executable).with_name("leadflow"))]
    subprocess.run([*leadflow, "migrate", "--verbosity", "0"], env=env, cwd=ROOT, check=True)
    full, full_port = start([*leadflow, "smtpd", "--port", "0"], env)
    bare, bare_port = start([sys.executable, __file__, "--bare-server", str(work / "bare.sqlite3")], env)
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    results: dict[tuple[str, int], list[dict]] = {}
    positions = {"full": 0, "bare": 0}
    try:
        for port, name in ((full_port, "full"), (bare_port, "bare")):  # warm-up
            positions[name] = load(port, bodies, positions[name], 1.0, 1)["next"]
        for round_number in range(args.rounds):
            for concurrency in concurrencies:
                for name, port in (("full", full_port), ("bare", bare_port)):
                    result = load(port, bodies, positions[name], args.seconds, concurrency)
                    positions[name] = result["next"]
                    results.setdefault((name, concurrency), []).append(result)
                    print(f"round {round_number + 1} {name} x{concurrency}: {result['per_second']:.1f} msg/s, "
                          f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms", flush=True)
    finally:
        for process in (full, bare):
            process.terminate()
            process.wait(timeout=30)
    database = work / "data" / "leadflow.sqlite3"
    with sqlite3.connect(database) as connection:
        statuses = dict(connection.execute("SELECT status, count(*) FROM intake_submission GROUP BY status"))
        stored = connection.execute("SELECT count(*) FROM inbox_incomingemail").fetchone()[0]

    rows = []
    for concurrency in concurrencies:
        full_rate = statistics.median(r["per_second"] for r in results[("full", concurrency)])
        bare_rate = statistics.median(r["per_second"] for r in results[("bare", concurrency)])
        rows.append(
            f"| {concurrency} | {full_rate:.1f} | "
            f"{statistics.median(r['p50_ms'] for r in results[('full', concurrency)]):.1f} / "
            f"{statistics.median(r['p99_ms'] for r in results[('full', concurrency)]):.1f} | {bare_rate:.1f} | "
            f"{statistics.median(r['p50_ms'] for r in results[('bare', concurrency)]):.1f} / "
            f"{statistics.median(r['p99_ms'] for r in results[('bare', concurrency)]):.1f} | "
            f"{full_rate / bare_rate:.2f} |"
        )
    minutes = (time.monotonic() - began_run) / 60
    section = "\n".join([
        MARK_START,
        "## E-mail intake: `leadflow smtpd` vs. a bare SMTP sink",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC ({minutes:.1f} min) on {common.machine_line()}; SQLite (WAL).",
        f"Command: `.venv/bin/python benchmarks/mail.py --rounds {args.rounds} --seconds {args.seconds:g} "
        f"--concurrency {args.concurrency}`. Medians of {args.rounds} alternating rounds; latency is one "
        "`sendmail` (MAIL, RCPT, DATA) on an open connection.",
        "",
        "| clients | smtpd msg/s | smtpd p50 / p99 ms | bare msg/s | bare p50 / p99 ms | smtpd / bare |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"`parsing.parse` alone: {parse_ms:.2f} ms per message (1,000 of the same messages, in process).",
        f"Outcome in the smtpd database: {stored} messages stored, submissions {dict(sorted(statuses.items()))} "
        "(repeat touches attach to their card).",
        "The bare sink only commits the bytes; `leadflow smtpd` also parses, keeps attachments, matches and",
        "creates or attaches the card with its first task, in one database thread (SQLite takes one writer).",
        MARK_END,
        "",
    ])
    common.publish("mail", section, write=not args.no_doc)


if __name__ == "__main__":
    main()
