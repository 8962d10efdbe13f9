"""Deterministic demo data (placeholder until the bulk seeder lands)."""

DEMO_USERS = [
    ("admin", "Administrator", None),
    ("anna", "Sales", "Nord"),
    ("ben", "Sales", "Süd"),
    ("vera", "Read-only", None),
]
