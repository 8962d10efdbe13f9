"""Migration operations that build the search index for a table's `search_text` column.

The SQL lives in small functions so that bulk loaders (`kundenwert seed`) can drop the index or
triggers during a load and recreate them exactly as the migration does.
"""

from __future__ import annotations

from django.db import migrations

TRIGGER_SUFFIXES = ("ai", "ad", "au")


def postgres_index_sql(table: str) -> str:
    """Return the statement creating the trigram GIN index on `table.search_text`."""
    return (
        f"CREATE INDEX IF NOT EXISTS {table}_search_trgm ON {table} "
        f"USING gin (search_text gin_trgm_ops)"
    )


def postgres_drop_index_sql(table: str) -> str:
    return f"DROP INDEX IF EXISTS {table}_search_trgm"


def sqlite_table_sql(table: str) -> str:
    """Return the statement creating the external-content FTS5 table of `table`."""
    fts = f"{table}_fts"
    return (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5("
        f"search_text, content='{table}', content_rowid='id', tokenize='trigram')"
    )


def sqlite_trigger_sql(table: str) -> list[str]:
    """Return the statements creating the triggers that keep `<table>_fts` in sync."""
    fts = f"{table}_fts"
    return [
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) "
        f"VALUES ('delete', old.id, old.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF search_text ON {table} "
        f"BEGIN INSERT INTO {fts}({fts}, rowid, search_text) "
        f"VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
    ]


def sqlite_drop_trigger_sql(table: str) -> list[str]:
    fts = f"{table}_fts"
    return [f"DROP TRIGGER IF EXISTS {fts}_{suffix}" for suffix in TRIGGER_SUFFIXES]


def sqlite_rebuild_sql(table: str) -> str:
    """Return the statement re-reading the whole content table into its FTS5 index."""
    fts = f"{table}_fts"
    return f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"


def _forward(table: str):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(postgres_index_sql(table))
        elif vendor == "sqlite":
            schema_editor.execute(sqlite_table_sql(table))
            for sql in sqlite_trigger_sql(table):
                schema_editor.execute(sql)
            schema_editor.execute(sqlite_rebuild_sql(table))

    return run


def _backward(table: str):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(postgres_drop_index_sql(table))
        elif vendor == "sqlite":
            for sql in sqlite_drop_trigger_sql(table):
                schema_editor.execute(sql)
            schema_editor.execute(f"DROP TABLE IF EXISTS {table}_fts")

    return run


def SearchIndex(table: str) -> migrations.RunPython:  # noqa: N802 - reads like an operation
    """Create the trigram search index (PostgreSQL) or FTS5 table with triggers (SQLite)."""
    return migrations.RunPython(_forward(table), _backward(table), elidable=False)
