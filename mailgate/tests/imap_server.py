"""A real IMAP server for the tests: Debian's dovecot (dovecot-imapd), one throwaway instance per test module.

Import the fixtures into a test module (`from mailgate.tests.imap_server import imap_folder, imap_server`). Without
/usr/sbin/dovecot they skip with the reason, except where REQUIRE_MAIL_SERVER=1 (CI, .ci/run), where they fail.

The instance is ours alone: its own configuration, port, run and state directories and maildirs in a temporary
directory, in the foreground as a child process (`dovecot -F -c <conf>`), so a system dovecot on 143/993 is never
involved. Dovecot runs its login and mail processes as an unprivileged user and refuses root for them: as root (CI) they
run as `nobody`, as anyone else as that user. No chroot, which only root may do. Plain-text login without TLS on
127.0.0.1; XOAUTH2 is offered too, and this server takes the password as the access token (dovecot checks the token
against the passdb like a password), so both login paths meet a real server.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import pytest
from imap_tools import BaseMailBox, MailBoxUnencrypted

DOVECOT = Path(os.environ.get("DOVECOT", "/usr/sbin/dovecot"))
START_TIMEOUT_SECONDS = 15
# A free port is chosen before dovecot binds it; another process may take it in between: then try a new one.
START_ATTEMPTS = 3


class ImapServer(NamedTuple):
    host: str
    port: int
    user: str
    password: str
    # The user's maildir, as dovecot keeps it (a folder is the directory "." + its name).
    maildir: Path

    def url(self, folder: str = "INBOX") -> str:
        """The MAIL_IMAP_URL of `folder` on this server (no TLS)."""
        return f"imap://{quote(self.user, safe='')}:{quote(self.password, safe='')}@{self.host}:{self.port}/{folder}"

    def connect(self) -> BaseMailBox:
        """A logged-in client, for the tests' own IMAP commands (APPEND, looking at flags)."""
        return MailBoxUnencrypted(self.host, self.port, timeout=10).login(self.user, self.password, initial_folder=None)

    def forbid_keywords(self, folder: str) -> None:
        """Make `folder` keep no keywords, as some servers' folders do: an ACL without the right to write flags other
        than \\Seen and \\Deleted (dovecot's acl plugin), so its PERMANENTFLAGS are just (\\Deleted \\Seen)."""
        acl = self.maildir / f".{folder}" / "dovecot-acl"
        acl.write_text("owner lrsipekxta\n")
        acl.chmod(0o644)


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    if not DOVECOT.exists():
        message = f"dovecot not found at {DOVECOT} (install the distribution's dovecot-imapd package, or set DOVECOT)"
        if os.environ.get("REQUIRE_MAIL_SERVER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    # Short: dovecot's unix sockets live under it, and a socket path has at most 107 bytes.
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    try:
        yield from _run_dovecot(root, user="helpdesk", password="mail-secret-1")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_folder(imap_server: ImapServer, settings) -> Iterator[str]:
    """A new, empty folder for one test, which MAIL_IMAP_URL points at; fetch_mail polls it. Deleted afterwards."""
    folder = f"test-{uuid.uuid4().hex[:12]}"
    with imap_server.connect() as client:
        client.folder.create(folder)
    settings.MAIL_IMAP_URL = imap_server.url(folder)
    settings.MAIL_IMAP_OAUTH2_TOKEN = ""
    yield folder
    with imap_server.connect() as client:
        client.folder.delete(folder)


def _run_dovecot(root: Path, *, user: str, password: str) -> Iterator[ImapServer]:
    account = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    group = grp.getgrgid(account.pw_gid).gr_name
    mail = root / "mail"
    mail.mkdir()
    (root / "passwd").write_text(f"{user}:{{PLAIN}}{password}\n")
    if os.geteuid() == 0:
        # The auth process (as the internal user) reads the passwd file; the mail process writes the maildirs.
        root.chmod(0o755)
        (root / "passwd").chmod(0o644)
        os.chown(mail, account.pw_uid, account.pw_gid)
    last_failure = ""
    for _ in range(START_ATTEMPTS):
        shutil.rmtree(root / "run", ignore_errors=True)  # no socket of an attempt that failed
        port = _free_port()
        config = root / "dovecot.conf"
        config.write_text(
            _config(root, port=port, account=account.pw_name, group=group, uid=account.pw_uid, gid=account.pw_gid)
        )
        output = (root / "dovecot.out").open("wb")
        # A process group of its own: the master and the processes it started are stopped together.
        process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(config)], stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            if _wait_until_ready(process, root, port):
                yield ImapServer("127.0.0.1", port, user, password, maildir=mail / user / "Maildir")
                return
            last_failure = _read_logs(root)
        finally:
            # Killed, not shut down: nothing of a throwaway server needs saving, and dovecot's orderly shutdown takes a
            # second or two.
            with contextlib.suppress(ProcessLookupError):  # gone already: a start that failed
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            output.close()
    pytest.fail(f"dovecot did not start in {START_ATTEMPTS} attempts; its last log:\n{last_failure}")


def _config(root: Path, *, port: int, account: str, group: str, uid: int, gid: int) -> str:
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = dovecot-test-{port}
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
auth_failure_delay = 0
default_login_user = {account}
default_internal_user = {account}
default_internal_group = {group}
first_valid_uid = 1
mail_location = maildir:~/Maildir
# Folder ACLs (dovecot-acl files; none by default: the owner may do anything), for ImapServer.forbid_keywords.
mail_plugins = acl
plugin {{
  acl = vfile
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service anvil {{
  chroot =
}}
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
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_ready(process: subprocess.Popen[bytes], root: Path, port: int) -> bool:
    """True once dovecot greets on `port`; False when it exits first (a bad config, the port taken) or times out.

    Before the first connection starts its auth process, the auth penalty's socket goes: dovecot delays each login
    from an address that failed one (2 s, then up to 15 s), with no setting to turn that off, and the tests fail logins
    on purpose. An auth process that finds no such socket does without the penalty, silently."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    penalty_socket = root / "run" / "anvil-auth-penalty"
    while not penalty_socket.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            return False
        time.sleep(0.02)
    penalty_socket.unlink()
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                if connection.recv(64).startswith(b"* OK"):
                    return True
        except OSError:
            time.sleep(0.02)
    return False


def _read_logs(root: Path) -> str:
    return "\n".join(path.read_text(errors="replace") for path in (root / "dovecot.out", root / "dovecot.log") if path.exists())
