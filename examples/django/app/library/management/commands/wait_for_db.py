"""manage.py wait_for_db: waits until the database accepts connections (it may start after the app)."""
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection


class Command(BaseCommand):
    help = "Wait until the default database accepts connections."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=60.0)

    def handle(self, *args, timeout, **options):
        deadline = time.monotonic() + timeout
        while True:
            try:
                connection.ensure_connection()
            except OperationalError as error:
                if time.monotonic() > deadline:
                    raise CommandError(f"database not reachable after {timeout:g} s: {error}") from error
                self.stderr.write(f"waiting for the database: {str(error).strip().splitlines()[-1]}")
                time.sleep(1)
            else:
                self.stdout.write("database is up")
                connection.close()
                return
