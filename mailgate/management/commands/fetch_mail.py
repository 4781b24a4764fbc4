"""Poll the IMAP mailbox of MAIL_IMAP_URL into the mail gateway (docs/email.md; how messages are marked processed:
mailgate/imap.py). Safe from cron (every minute is fine) and as a long-running `--loop`: a message is acted on once."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from mailgate.imap import ImapMailboxAddress, MailboxUnavailable, current_oauth2_token, fetch_mail, parse_imap_url

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Fetch the unprocessed messages of the IMAP mailbox in MAIL_IMAP_URL (imaps://user:password@host:993/INBOX; "
        "XOAUTH2 when MAIL_IMAP_OAUTH2_TOKEN is set) and hand each to the mail gateway: replies become comments or "
        "approval decisions, mail to the intake address tickets. Each processed message is marked \\Seen and "
        "$TicketsiteProcessed on the server and never fetched again; a message whose processing failed is logged and "
        "tried again on the next run. Prints one summary line per run (fetched, processed: became a comment, ticket or "
        "decision, ignored, refused, repeated: seen before and not acted on again, errors). Exit status 1 when the "
        "server failed or a message could not be processed, 2 for bad options or settings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit", type=int, default=100, help="At most this many messages per run, oldest first (default 100)."
        )
        parser.add_argument(
            "--loop",
            action="store_true",
            help="Keep polling until interrupted; a failing server is logged and tried again after the interval.",
        )
        parser.add_argument(
            "--interval",
            type=int,
            default=60,
            help="With --loop: seconds between runs (default 60); after a full batch the next run starts at once.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limit: int = options["limit"]
        interval: int = options["interval"]
        if limit < 1:
            raise CommandError("--limit must be at least 1.", returncode=2)
        if interval < 1:
            raise CommandError("--interval must be at least 1.", returncode=2)
        if not settings.MAIL_IMAP_URL:
            raise CommandError("MAIL_IMAP_URL is not set: there is no mailbox to fetch from.", returncode=2)
        try:
            address = parse_imap_url(settings.MAIL_IMAP_URL)
        except ImproperlyConfigured as error:
            raise CommandError(str(error), returncode=2) from error
        if not address.password and not (settings.MAIL_IMAP_OAUTH2_TOKEN or settings.MAIL_IMAP_OAUTH2_TOKEN_FILE):
            raise CommandError(
                "MAIL_IMAP_URL has no password, and neither MAIL_IMAP_OAUTH2_TOKEN nor MAIL_IMAP_OAUTH2_TOKEN_FILE is set.",
                returncode=2,
            )
        if not options["loop"]:
            self._run_once(address, limit=limit, once=True)
            return
        try:
            while True:
                more_waiting = self._run_once(address, limit=limit, once=False)
                # A long-running process: connections the database closed or that grew old are replaced, as between
                # requests.
                close_old_connections()
                if not more_waiting:
                    time.sleep(interval)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")

    def _run_once(self, address: ImapMailboxAddress, *, limit: int, once: bool) -> bool:
        """One run; whether more messages may be waiting (a full batch, all of it processed: a batch with a failed
        message waits for the interval, or that message would be fetched again at once, forever). Run once, a failing
        server or a failed message ends the command with status 1; in a loop they are logged and it goes on."""
        try:
            summary = fetch_mail(address, oauth2_token=current_oauth2_token(), limit=limit)
        except MailboxUnavailable as error:
            if once:
                raise CommandError(f"fetch_mail: {error}") from error
            logger.error("fetch_mail: %s", error)
            self.stderr.write(f"fetch_mail: {error}")
            return False
        line = f"fetch_mail: {summary}"
        self.stdout.write(self.style.ERROR(line) if summary.errors else self.style.SUCCESS(line))
        if summary.errors and once:
            raise CommandError(
                f"{summary.errors} message(s) could not be processed (logged); they are tried again on the next run."
            )
        return summary.fetched == limit and not summary.errors
