"""A private dovecot IMAP server per test (Debian's dovecot-imapd; never the system service), and
stored attachments kept out of the data directory."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
START_TIMEOUT = 20.0


@pytest.fixture(autouse=True)
def _attachments_in_tmp(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Imap:
    host: str
    port: int
    username: str
    password: str
    directory: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _config(directory: Path, port: int) -> str:
    """dovecot.conf for a throw-away server: passwd-file users, maildirs in the directory, plain IMAP on 127.0.0.1."""
    if os.geteuid() == 0:
        # Dovecot never reads mail as root: the mailboxes belong to nobody; its own helpers run as its users.
        mail_uid, mail_gid = pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid
        login_user, internal_user = "dovenull", "dovecot"
    else:
        mail_uid, mail_gid = os.geteuid(), os.getegid()
        login_user = internal_user = pwd.getpwuid(os.geteuid()).pw_name
    return f"""
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{directory}/mail/%u
first_valid_uid = {min(mail_uid, 500)}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={directory}/mail/%u
}}
default_login_user = {login_user}
default_internal_user = {internal_user}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            return connection.recv(64).startswith(b"* OK")
    except OSError:
        return False


@pytest.fixture
def imap_server() -> Iterator[Imap]:
    """dovecot started for this test on a free port; fails under CI=true when dovecot is missing."""
    if not Path(DOVECOT).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("this test needs Debian's dovecot-imapd (.ci/run installs it) and CI=true: it may not skip")
        pytest.skip("needs dovecot: apt-get install dovecot-imapd")
    # Not pytest's tmp_path: dovecot's users must be able to enter the directory.
    directory = Path(tempfile.mkdtemp(prefix="lf-dovecot-"))
    directory.chmod(0o755)
    (directory / "mail").mkdir()
    port = _free_port()
    config = _config(directory, port=port)
    if os.geteuid() == 0:
        shutil.chown(directory / "mail", "nobody", pwd.getpwnam("nobody").pw_gid)
    server = Imap(host="127.0.0.1", port=port, username="sales@example.com",
                  password="imap-secret", directory=directory)
    (directory / "passwd").write_text(f"{server.username}:{{PLAIN}}{server.password}::::::\n")
    (directory / "dovecot.conf").write_text(config)
    process = subprocess.Popen(  # noqa: S603
        [DOVECOT, "-F", "-c", str(directory / "dovecot.conf")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _ready(server.port):
            if process.poll() is not None or time.monotonic() > deadline:
                log = (directory / "dovecot.log").read_text() if (directory / "dovecot.log").exists() else ""
                output = process.stdout.read().decode() if process.stdout and process.poll() is not None else ""
                pytest.fail(f"dovecot did not start: {output}\n{log}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)
