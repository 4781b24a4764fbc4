"""Read one RFC 822 message on stdin and hand it to the gateway: the MTA pipe path (docs/email.md), e.g. a Postfix
alias `help: "|/srv/tickets/.venv/bin/python /srv/tickets/manage.py ingest_mail"`.

Exit status 0 whenever the message was dealt with, refused and ignored included: the refusal is recorded and logged,
and a non-zero status would make the MTA bounce the message, mailing the sender (maybe forged, maybe an auto-responder)
a technical error and feeding the loops the gateway refuses. An unavailable database exits 75 (EX_TEMPFAIL): the MTA
keeps the message and tries again later. Any other failure is a bug and exits non-zero with its traceback."""

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from mailgate.models import InboundSource
from mailgate.services import ingest_message


class Command(BaseCommand):
    help = "Ingest one RFC 822 message read on stdin (for an MTA pipe); prints what became of it."
    stealth_options = ("stdin",)

    def handle(self, *args: Any, **options: Any) -> None:
        raw: bytes = (options.get("stdin") or sys.stdin.buffer).read()
        if not raw:
            raise CommandError("No message on stdin.")
        try:
            record = ingest_message(raw, source=InboundSource.PIPE)
        except DatabaseError as error:
            raise CommandError(f"The database is unavailable, try again later: {error}", returncode=os.EX_TEMPFAIL) from error
        self.stdout.write(f"{record.outcome}: {record.reason}" if record.reason else str(record.outcome))
