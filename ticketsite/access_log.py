"""Gunicorn's access log as JSON lines built with `json.dumps`, so a quote or newline in a path, query or header cannot
break the line (a %-format template cannot promise that). Wired by `logger_class` in gunicorn.conf.py."""

import json
import traceback
from datetime import UTC, datetime
from typing import Any

from gunicorn.glogging import Logger


class JsonAccessLogger(Logger):
    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        entry = {
            "time": datetime.now(tz=UTC).isoformat(timespec="milliseconds"),
            "remote": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": atoms["M"],
            "user_agent": atoms["a"],
            # The id the app answered with (its own, or the proxy's when that one was sane): it joins this line to
            # the application's log lines of the same request.
            "request_id": atoms.get("{x-request-id}o") or atoms.get("{x-request-id}i"),
        }
        try:
            self.access_log.info(json.dumps(entry, ensure_ascii=False, default=str))
        except Exception:  # noqa: BLE001 - gunicorn's own access() reports formatting failures the same way
            self.error(traceback.format_exc())
