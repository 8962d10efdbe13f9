"""Serve Kundenwert with gunicorn, a production WSGI server."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError


def run_gunicorn(*, host: str, port: int, workers: int, threads: int, access_log: bool) -> None:
    from django.core.wsgi import get_wsgi_application
    from gunicorn.app.base import BaseApplication

    application = get_wsgi_application()

    class _App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 10)
            if access_log:
                self.cfg.set("accesslog", "-")

        def load(self):
            return application

    _App().run()


class Command(BaseCommand):
    help = "Serve Kundenwert over HTTP with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("KUNDENWERT_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("KUNDENWERT_PORT", "8000"))
        )
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("KUNDENWERT_WORKERS", "2"))
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("KUNDENWERT_THREADS", "4"))
        )
        parser.add_argument("--access-log", action="store_true")

    def handle(self, *args, host, port, workers, threads, access_log, **options):
        if not 0 < port < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        self.stdout.write(f"Kundenwert at http://{host}:{port}/  (Ctrl+C stops it)")
        self.stdout.flush()
        run_gunicorn(host=host, port=port, workers=workers, threads=threads, access_log=access_log)
