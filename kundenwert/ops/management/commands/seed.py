"""kundenwert seed --customers N [--seed S]: deterministic demo data, loaded in bulk."""

from __future__ import annotations

import datetime as dt
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from kundenwert.ops.seed import DEMO_PASSWORD, DEMO_USERS, SeedError, seed


class Command(BaseCommand):
    help = (
        "Append deterministic German and English demo data: N organisations with people, "
        "affiliations, activities and tasks, and the demo users (password 'demo'). The same N "
        "and --seed give the same data; an existing database gets the new rows appended."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, required=True, help="Organisations to add.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--people-per-org", type=float, default=1.5, help="Mean contacts per organisation."
        )
        parser.add_argument(
            "--activities-per-customer", type=float, default=2.0, help="Mean activities per org."
        )
        parser.add_argument(
            "--b2c-share", type=float, default=0.1,
            help="Private customers (people without organisation) per organisation.",
        )  # fmt: skip
        parser.add_argument("--batch", type=int, default=5000, help="Organisations per batch.")
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
            help="The day the history ends (default: today, UTC); fix it to reproduce data.",
        )  # fmt: skip
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, **options):
        started = time.perf_counter()
        show = not options["no_progress"] and sys.stderr.isatty() and options["verbosity"] > 0
        try:
            result = seed(
                customers=options["customers"],
                seed=options["seed"],
                people_per_org=options["people_per_org"],
                activities_per_customer=options["activities_per_customer"],
                b2c_share=options["b2c_share"],
                batch=options["batch"],
                progress=show,
                now=(
                    dt.datetime.combine(options["today"], dt.time(), tzinfo=dt.UTC)
                    if options.get("today")
                    else None
                ),
            )
        except SeedError as exc:
            raise CommandError(str(exc)) from None
        elapsed = time.perf_counter() - started
        if options["verbosity"] > 0:
            self.stdout.write(
                f"Seeded {result.organizations} organisations, {result.people} people, "
                f"{result.affiliations} affiliations, {result.activities} activities "
                f"in {elapsed:.1f} s ({result.rows / max(elapsed, 1e-9):,.0f} rows/s)."
            )
            users = ", ".join(name for name, _role, _team in DEMO_USERS)
            self.stdout.write(f"Demo users: {users} (password: {DEMO_PASSWORD}).")
