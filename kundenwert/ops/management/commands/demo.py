"""Migrate, seed demo data if the database is empty, and serve."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from kundenwert.contacts.models import Organization
from kundenwert.ops.seed import DEMO_USERS


class Command(BaseCommand):
    help = "Prepare the database with demo data (if empty) and serve Kundenwert."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--customers", type=int, default=500)
        parser.add_argument("--no-serve", action="store_true", help="Prepare only, do not serve.")

    def handle(self, *args, host, port, customers, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if not Organization.objects.exists():
            call_command("seed", customers=customers, seed=1, verbosity=options["verbosity"])
        self.stdout.write("\nDemo sign-ins (password for all: demo):")
        for username, role, team in DEMO_USERS:
            self.stdout.write(f"  {username:<6} {role}{f', team {team}' if team else ''}")
        self.stdout.write("")
        if not no_serve:
            call_command("serve", host=host, port=port)
