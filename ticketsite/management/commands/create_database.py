"""Creates the PostgreSQL database that DATABASE_URL names, if it does not exist yet, so that a newcomer's
`DATABASE_URL=postgres://…/tickets bin/run` works on a fresh server. SQLite creates its file by itself."""

from typing import Any

import psycopg
from django.core.management.base import BaseCommand
from django.db import connection
from psycopg import sql

# The database every PostgreSQL server has, to connect to while ours does not exist yet.
MAINTENANCE_DATABASE = "postgres"


class Command(BaseCommand):
    help = "Create the PostgreSQL database named by DATABASE_URL if it is missing (nothing to do on SQLite)."
    requires_system_checks: list[str] = []  # the checks may need the database that is not there yet

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write(f"Database engine is {connection.vendor}: nothing to create.")
            return
        params = connection.get_connection_params()
        name = params["dbname"]
        with psycopg.connect(**(params | {"dbname": MAINTENANCE_DATABASE}), autocommit=True) as server:
            exists = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists:
                self.stdout.write(f"Database {name} exists.")
                return
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.stdout.write(self.style.SUCCESS(f"Created database {name}."))
