"""Print or write the OpenAPI schema; CI compares it with the checked-in docs/openapi.json."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kundenwert.api.urls import api


def render_schema() -> str:
    return json.dumps(api.get_openapi_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write the OpenAPI schema of /api/v1/ (to stdout, or --output FILE; --check compares)."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path)
        parser.add_argument(
            "--check", action="store_true", help="Exit 1 if --output differs from the live schema."
        )

    def handle(self, *args, output: Path | None, check: bool, **options):
        text = render_schema()
        if check:
            if output is None:
                raise CommandError("--check needs --output FILE.")
            current = output.read_text(encoding="utf-8") if output.exists() else ""
            if current != text:
                raise CommandError(
                    f"{output} is out of date: run `kundenwert openapi --output {output}`."
                )
            self.stdout.write(f"{output} is up to date.")
        elif output:
            output.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {output}.")
        else:
            self.stdout.write(text, ending="")
