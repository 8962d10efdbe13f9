"""Migration operations that build the search index for a table's `search_text` column."""

from __future__ import annotations

from django.db import migrations


def _forward(table: str):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_search_trgm ON {table} "
                f"USING gin (search_text gin_trgm_ops)"
            )
        elif vendor == "sqlite":
            fts = f"{table}_fts"
            schema_editor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5("
                f"search_text, content='{table}', content_rowid='id', tokenize='trigram')"
            )
            schema_editor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "
                f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END"
            )
            schema_editor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "
                f"INSERT INTO {fts}({fts}, rowid, search_text) "
                f"VALUES ('delete', old.id, old.search_text); END"
            )
            schema_editor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF search_text ON {table} "
                f"BEGIN INSERT INTO {fts}({fts}, rowid, search_text) "
                f"VALUES ('delete', old.id, old.search_text); "
                f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END"
            )
            schema_editor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")

    return run


def _backward(table: str):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_trgm")
        elif vendor == "sqlite":
            fts = f"{table}_fts"
            for suffix in ("ai", "ad", "au"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            schema_editor.execute(f"DROP TABLE IF EXISTS {fts}")

    return run


def SearchIndex(table: str) -> migrations.RunPython:  # noqa: N802 - reads like an operation
    """Create the trigram search index (PostgreSQL) or FTS5 table with triggers (SQLite)."""
    return migrations.RunPython(_forward(table), _backward(table), elidable=False)
