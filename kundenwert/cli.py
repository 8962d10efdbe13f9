"""The `kundenwert` command: every Django management command, plus `clv` without a database."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "clv":
        # The CLV engine works on a CSV alone: no settings, no database, no Django import.
        from kundenwert.clv.cli import main as clv_main

        return clv_main(argv[2:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kundenwert.config.settings")
    from django.core.management import execute_from_command_line

    from kundenwert.core.context import set_source

    set_source("cli")
    argv[0] = "kundenwert"
    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
