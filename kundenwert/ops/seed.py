"""Deterministic, realistic demo data, loaded by bulk paths (COPY / multi-row INSERT).

`seed(customers=N, seed=S)` creates the demo users and teams (idempotently) and appends N
organisations with people, affiliations, tags, activities and tasks. The same N and S (and the
same `now`) give the same data: every random choice comes from two `random.Random` streams
consumed in customer order, so the batch size does not change the data.

Rows are written with PostgreSQL `COPY` or SQLite multi-row `INSERT`, one transaction per batch,
never through the ORM (PERFORMANCE.md, cliff 7): the ORM would take hours for a million rows.
Every column the services would fill is filled the same way (normalised emails/phones/VAT IDs,
`search_text` from `core.normalize.search_text`, `body_html` from `activities.services.render_body`,
`version` 1). The audit trail gets ONE event summarising the run instead of one per row: this
is a bulk import of made-up data, and a million audit rows would only bury the real trail.

Seeding a database that already holds organisations appends: ids continue after the existing
ones, users/teams/tags are reused.

Large loads (`rebuild_threshold`) drop the tables' secondary indexes and the search index
(PostgreSQL trigram GIN index; SQLite FTS5 triggers) and build them once at the end, from the
models' and `core.search_migrations`' own definitions; every run ends by recreating whatever is
missing, so a killed load is repaired by the next `kundenwert seed` (even `--customers 0`).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from stdnum.at import uid as at_uid
from stdnum.iso7064 import mod_11_10

from kundenwert.activities.models import Activity
from kundenwert.activities.services import render_body
from kundenwert.audit.models import AuditEvent
from kundenwert.audit.services import audit_record
from kundenwert.contacts.models import (
    Affiliation,
    Organization,
    Person,
    Tag,
    organization_search_text,
    person_search_text,
)
from kundenwert.core import search_migrations as sm
from kundenwert.core.normalize import domain_from_website, search_text
from kundenwert.org.models import Role, Team
from kundenwert.org.policies import forget_permissions

from . import seed_words as w

# (username, role name, team): printed by `kundenwert demo`. The role key is the lower-cased name.
DEMO_USERS = [
    ("admin", "Administrator", None),
    ("anna", "Sales", "Nord"),
    ("ben", "Sales", "Süd"),
    ("vera", "Read-only", None),
    ("mia", "Manager", "Nord"),
    ("carl", "Sales", "Nord"),
    ("sam", "Service", "Süd"),
    ("max", "Marketing", None),
]
DEMO_PASSWORD = "demo"
# How records are spread over owners (weights); the record's team is the owner's team.
OWNER_WEIGHTS = {"anna": 25, "carl": 15, "mia": 10, "ben": 25, "sam": 10, "max": 5, "admin": 10}

# Loads of at least this many organisations drop the secondary indexes and the search triggers
# (SQLite) / trigram indexes (PostgreSQL) and build them once at the end: per-row index upkeep
# makes bulk loads 3-25x slower (PERFORMANCE.md, cliff 8). Smaller loads keep them, so they
# never rebuild the indexes of a big table for a few rows.
SQLITE_REBUILD_THRESHOLD = 10_000
POSTGRES_REBUILD_THRESHOLD = 100_000

DAY = 86_400
HISTORY_DAYS = 730

ORG_TABLE = Organization._meta.db_table
PERSON_TABLE = Person._meta.db_table
ACTIVITY_TABLE = Activity._meta.db_table
SEARCH_TABLES = (ORG_TABLE, PERSON_TABLE, ACTIVITY_TABLE)

ORG_COLUMNS = (
    "id", "created_at", "updated_at", "version", "archived_at", "name", "legal_form", "vat_id",
    "industry", "website", "domain", "emails", "phones", "billing_address", "shipping_address",
    "owner_id", "team_id", "status", "parent_id", "search_text",
)  # fmt: skip
PERSON_COLUMNS = (
    "id", "created_at", "updated_at", "version", "archived_at", "salutation", "title",
    "first_name", "last_name", "emails", "phones", "job_title", "language", "addresses",
    "owner_id", "team_id", "search_text",
)  # fmt: skip
AFFILIATION_COLUMNS = (
    "person_id", "organization_id", "role", "is_primary", "created_at", "updated_at", "version",
)  # fmt: skip
ACTIVITY_COLUMNS = (
    "id", "created_at", "updated_at", "version", "archived_at", "type", "subject", "body",
    "body_format", "body_html", "starts_at", "due_at", "duration_minutes", "outcome", "is_done",
    "done_at", "occurred_at", "owner_id", "assignee_id", "team_id", "search_text",
)  # fmt: skip


class SeedError(ValueError):
    """Bad seeding input; the command shows the message as one line."""


@dataclass
class SeedResult:
    organizations: int = 0
    people: int = 0
    affiliations: int = 0
    activities: int = 0
    tags: int = 0
    first_ids: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.organizations + self.people + self.affiliations + self.activities

    def as_dict(self) -> dict[str, int]:
        return {
            "organizations": self.organizations,
            "people": self.people,
            "affiliations": self.affiliations,
            "activities": self.activities,
            "tag_links": self.tags,
        }


# --- users ---------------------------------------------------------------------------------


def ensure_demo_users() -> dict[str, object]:
    """Create (or reuse) the demo users, teams and role memberships; password `demo`."""
    User = get_user_model()  # noqa: N806 - a model class
    users = {}
    for username, role_name, team_name in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@example.com", "first_name": username.title()},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        role = Role.objects.filter(key=role_name.lower()).first()
        if role is None:
            raise SeedError(f"The shipped role {role_name!r} is missing; run migrate first.")
        role.users.add(user)
        if team_name:
            Team.objects.get_or_create(name=team_name)[0].members.add(user)
        forget_permissions(user)
        users[username] = user
    return users


# --- generated values ----------------------------------------------------------------------

_TRANSLIT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e", "à": "a", "&": "und"}
)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    return _NOT_SLUG.sub("-", text.lower().translate(_TRANSLIT)).strip("-")


def _mail_part(text: str) -> str:
    return _NOT_SLUG.sub("", text.lower().translate(_TRANSLIT))


def _digits(rng: random.Random, n: int) -> str:
    """Return n digits, the first not zero (a valid subscriber number start everywhere used)."""
    low = 10 ** (n - 1)
    return str(low + int(rng.random() * 9 * low))


def _json_strings(values: list[str]) -> str:
    """json.dumps for lists of plain ASCII strings (emails, phones), several times faster."""
    return '["' + '", "'.join(values) + '"]' if values else "[]"


def vat_de(rng: random.Random) -> str:
    body = _digits(rng, 8)
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


def vat_at(rng: random.Random) -> str:
    body = "U" + _digits(rng, 7)
    return f"AT{body}{at_uid.calc_check_digit(body)}"


def vat_nl(rng: random.Random) -> str:
    while True:
        body = _digits(rng, 8)
        check = sum((9 - i) * int(d) for i, d in enumerate(body)) % 11
        if check < 10:
            return f"NL{body}{check}B{rng.randint(1, 99):02d}"


def vat_xi(rng: random.Random) -> str:
    """Northern Ireland VAT ID (the only UK one the EU VAT check knows since 2021)."""
    body = _digits(rng, 7)
    total = sum(wt * int(d) for wt, d in zip((8, 7, 6, 5, 4, 3, 2), body, strict=True))
    return f"XI{body}{(-total) % 97:02d}"


def _postal_code(rng: random.Random, country: str, spec) -> str:
    if country == "GB":
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        return f"{rng.choice(spec)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    low, high = spec
    code = rng.randint(low, high)
    if country == "NL":
        return f"{code} {rng.choice('ABCDEGHJKLMNPRSTVWXZ')}{rng.choice('ABCDEGHJKLMNPRSTVWXZ')}"
    return f"{code:05d}" if country == "DE" else str(code)


def _street(rng: random.Random, country: str) -> str:
    number = rng.randint(1, 180)
    if country == "GB":
        return f"{number} {rng.choice(w.GB_STREETS)}"
    streets = w.NL_STREETS if country == "NL" else w.DE_STREETS
    return f"{rng.choice(streets)} {number}"


def _address(rng: random.Random, country: str, city) -> dict:
    name, region, spec, _landline, _n = city
    return {
        "street": _street(rng, country),
        "postal_code": _postal_code(rng, country, spec),
        "city": name,
        "region": region,
        "country": country,
    }


def _cumulative(pairs) -> tuple[list, list[int]]:
    return [p[0] for p in pairs], list(accumulate(p[1] for p in pairs))


_COUNTRIES = _cumulative(w.COUNTRY_WEIGHTS)
_LEGAL = {c: _cumulative(forms) for c, forms in w.LEGAL_FORMS.items()}
_STATUS = _cumulative((("prospect", 35), ("customer", 45), ("partner", 8), ("former_customer", 12)))
_TYPES = _cumulative((("call", 30), ("email", 25), ("meeting", 15), ("note", 15), ("task", 15)))


def _pick(rng: random.Random, table: tuple[list, list[int]]):
    values, cum = table
    return rng.choices(values, cum_weights=cum)[0]


class _Templates:
    """Activity subjects, bodies and their rendered HTML, prepared once per run."""

    def __init__(self) -> None:
        self.html = {
            lang: [render_body(b, Activity.BodyFormat.MARKDOWN) for b in bodies]
            for lang, bodies in w.BODIES.items()
        }


# --- database writers ----------------------------------------------------------------------


class _Writer:
    """Allocate ids and write rows with the fastest path of the connected database."""

    vendor = ""
    suffix = ""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def stamp(self, ts: int) -> str:
        """Format epoch seconds as the database's UTC datetime text (cached per day: fast)."""
        day, seconds = divmod(ts, DAY)
        date = self._days.get(day)
        if date is None:
            date = self._days[day] = (_EPOCH + dt.timedelta(days=day)).strftime("%Y-%m-%d")
        hours, rest = divmod(seconds, 3600)
        return f"{date} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}{self.suffix}"

    def ids(self, table: str, n: int) -> list[int]:
        raise NotImplementedError

    def write(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        raise NotImplementedError


_EPOCH = dt.datetime(1970, 1, 1)  # naive UTC, as Django stores datetimes on SQLite


class _PostgresWriter(_Writer):
    vendor = "postgresql"
    suffix = "+00"

    def __init__(self) -> None:
        super().__init__()
        self.cursor = connection.cursor()

    def ids(self, table: str, n: int) -> list[int]:
        if n == 0:
            return []
        # nextval in bulk: ids never collide with rows other sessions insert meanwhile.
        self.cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, n],
        )
        return [r[0] for r in self.cursor.fetchall()]

    def write(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        raw = self.cursor.cursor  # the psycopg 3 cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


class _SqliteWriter(_Writer):
    vendor = "sqlite"
    MAX_VARIABLES = 32_000  # SQLite ≥ 3.32 allows 32,766 bound parameters per statement
    MAX_ROWS = 500

    def __init__(self) -> None:
        super().__init__()
        connection.ensure_connection()
        self.raw = connection.connection.cursor()
        self._sql: dict[tuple[str, int], str] = {}

    def ids(self, table: str, n: int) -> list[int]:
        # Called inside the batch's IMMEDIATE transaction: no other writer can take ids meanwhile.
        self.raw.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        start = self.raw.fetchone()[0] + 1
        return list(range(start, start + n))

    def _statement(self, table: str, columns: Sequence[str], n: int) -> str:
        key = (table, n)
        if key not in self._sql:
            one = "(" + ", ".join("?" * len(columns)) + ")"
            self._sql[key] = f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join(
                [one] * n
            )
        return self._sql[key]

    def write(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        per = max(1, min(self.MAX_ROWS, self.MAX_VARIABLES // len(columns)))
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            params = [value for row in chunk for value in row]
            self.raw.execute(self._statement(table, columns, len(chunk)), params)


def _writer() -> _Writer:
    if connection.vendor == "postgresql":
        return _PostgresWriter()
    if connection.vendor == "sqlite":
        return _SqliteWriter()
    raise SeedError(f"Seeding supports PostgreSQL and SQLite, not {connection.vendor}.")


# --- index upkeep during bulk loads --------------------------------------------------------

_INDEX_NAME = re.compile(r'CREATE (?:UNIQUE )?INDEX "?([^"\s]+)"?')


def _bulk_models() -> tuple:
    return (
        Organization, Person, Affiliation, Organization.tags.through, Person.tags.through,
        Activity, Activity.organizations.through, Activity.people.through,
    )  # fmt: skip


def _secondary_indexes() -> list[tuple[str, str, str]]:
    """Return (table, index name, CREATE statement) of the plain indexes Django manages.

    The definitions come from the models (as a migration would create them), so a load that
    was killed mid-way is repaired by the next run. Primary keys and unique constraints are
    not in the list: they stay, and keep guarding the data during the load.
    """
    editor = connection.SchemaEditorClass(connection, collect_sql=True)
    result = []
    for model in _bulk_models():
        for statement in editor._model_indexes_sql(model):
            sql = str(statement)
            match = _INDEX_NAME.match(sql)
            if match:
                result.append((model._meta.db_table, match.group(1), sql))
    return result


def _existing_indexes(cursor, table: str) -> set[str]:
    return set(connection.introspection.get_constraints(cursor, table))


def _suspend_indexes(vendor: str) -> None:
    """Drop the secondary indexes and the search index/triggers: rebuilt once after the load.

    Updating a dozen B-trees and a trigram GIN index row by row makes a bulk load 3-25x slower
    than building them once from sorted data (PERFORMANCE.md, cliff 8; bench/seed_bench.py).
    """
    with connection.cursor() as cursor:
        for _table, name, _sql in _secondary_indexes():
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        for table in SEARCH_TABLES:
            if vendor == "sqlite":
                for sql in sm.sqlite_drop_trigger_sql(table):
                    cursor.execute(sql)
            else:
                cursor.execute(sm.postgres_drop_index_sql(table))


def _restore_indexes(vendor: str, *, rebuild: bool) -> None:
    """Recreate whatever index, trigger or search index is missing, exactly as migrations do."""
    with connection.cursor() as cursor:
        existing: dict[str, set[str]] = {}
        missing = []
        for table, name, sql in _secondary_indexes():
            if table not in existing:
                existing[table] = _existing_indexes(cursor, table)
            if name not in existing[table]:
                missing.append(sql)
        for table in SEARCH_TABLES:
            if vendor == "postgresql" and f"{table}_search_trgm" not in existing.get(table, set()):
                missing.append(sm.postgres_index_sql(table))
        if vendor == "postgresql" and missing:
            # CREATE INDEX refuses while deferred FK checks are pending (a seed inside an outer
            # transaction): run them now, and restore Django's deferred default afterwards.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for sql in missing:
            cursor.execute(sql)
        if vendor == "postgresql" and missing:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        if vendor == "sqlite":
            for table in SEARCH_TABLES:
                cursor.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                    [table],
                )
                # Missing triggers (a killed load) mean the FTS index missed rows: rebuild too.
                if rebuild or cursor.fetchone()[0] < len(sm.TRIGGER_SUFFIXES):
                    cursor.execute(sm.sqlite_rebuild_sql(table))
                for sql in sm.sqlite_trigger_sql(table):
                    cursor.execute(sql)


# --- the generator -------------------------------------------------------------------------


@dataclass
class _Owner:
    id: int
    team_id: int | None
    teammates: tuple[int, ...]


class _Batch:
    """The rows of one batch, per table."""

    def __init__(self) -> None:
        self.orgs: list[tuple] = []
        self.people: list[tuple] = []
        self.affiliations: list[tuple] = []
        self.activities: list[tuple] = []
        self.org_tags: list[tuple] = []
        self.person_tags: list[tuple] = []
        self.activity_orgs: list[tuple] = []
        self.activity_people: list[tuple] = []


@dataclass
class _Plan:
    """How many rows customer i produces: drawn from its own stream, so ids can be taken first."""

    people: int
    b2c: bool
    activities: int


class Generator:
    """Turn (seed, customer index) into rows; the same seed always gives the same rows."""

    def __init__(
        self,
        *,
        seed: int,
        people_per_org: float,
        activities_per_customer: float,
        b2c_share: float,
        owners: dict[str, _Owner],
        tag_ids: list[int],
        now: dt.datetime,
        stamp: Callable[[int], str],
    ) -> None:
        self.plan_rng = random.Random(f"kundenwert-seed-{seed}-plan")
        self.rng = random.Random(f"kundenwert-seed-{seed}-data")
        self.people_span = 2 * people_per_org + 1
        self.activity_span = 2 * activities_per_customer + 1
        self.b2c_share = b2c_share
        names = list(OWNER_WEIGHTS)
        self.owner_list = [owners[n] for n in names]
        self.owner_cum = list(accumulate(OWNER_WEIGHTS[n] for n in names))
        self.tag_ids = tag_ids
        self.now = int(now.timestamp())
        self.stamp = stamp
        self.templates = _Templates()
        self.recent_orgs: deque[int] = deque(maxlen=200)

    def plan(self) -> _Plan:
        r = self.plan_rng
        return _Plan(
            people=int(r.random() * self.people_span),
            b2c=r.random() < self.b2c_share,
            activities=int(r.random() * self.activity_span),
        )

    # -- helpers --

    def _owner(self) -> _Owner:
        return self.rng.choices(self.owner_list, cum_weights=self.owner_cum)[0]

    def _phone(self, prefix: str, digits: int) -> str:
        return prefix + _digits(self.rng, digits)

    def _mobile(self, country: str) -> str:
        prefix, digits = self.rng.choice(w.MOBILE[country])
        return self._phone(prefix, digits)

    def _created(self) -> tuple[int, int]:
        created = self.now - self.rng.randint(0, HISTORY_DAYS * DAY)
        updated = min(self.now, created + self.rng.randint(0, 120 * DAY))
        return created, updated

    def _org_name(self, lang: str, country: str, industry) -> str:
        r = self.rng
        pattern = r.random()
        if lang == "de":
            if pattern < 0.4:
                return f"{r.choice(w.DE_LAST)} {r.choice(industry[2])}"
            if pattern < 0.65:
                return f"{r.choice(w.DE_PREFIXES)}{r.choice(w.DE_SUFFIXES)}"
            if pattern < 0.85:
                return f"{r.choice(w.DE_LAST)} & {r.choice(w.DE_LAST)}"
            return f"{r.choice(industry[2])} {r.choice(w.DE_LAST)}"
        last_names = w.NL_LAST if country == "NL" else w.EN_LAST
        if pattern < 0.45:
            return f"{r.choice(last_names).title()} {r.choice(industry[3])}"
        if pattern < 0.75:
            return f"{r.choice(w.EN_ADJECTIVES)} {r.choice(w.EN_NOUNS)} {r.choice(industry[3])}"
        if pattern < 0.9:
            return f"{r.choice(last_names).title()} & {r.choice(last_names).title()}"
        return f"{r.choice(last_names).title()} & Sons"

    def _vat(self, country: str, city_name: str) -> str:
        if self.rng.random() >= 0.85:
            return ""
        if country == "DE":
            return vat_de(self.rng)
        if country == "AT":
            return vat_at(self.rng)
        if country == "NL":
            return vat_nl(self.rng)
        return vat_xi(self.rng) if city_name == "Belfast" else ""

    def _person_names(self, lang: str, country: str) -> tuple[str, str, str, str]:
        r = self.rng
        female = r.random() < 0.5
        if country == "NL":
            first = r.choice(w.NL_FIRST_F if female else w.NL_FIRST_M)
            last = r.choice(w.NL_LAST)
        elif lang == "de":
            first = r.choice(w.DE_FIRST_F if female else w.DE_FIRST_M)
            last = r.choice(w.DE_LAST)
        else:
            first = r.choice(w.EN_FIRST_F if female else w.EN_FIRST_M)
            last = r.choice(w.EN_LAST)
        salutation = "mx" if r.random() < 0.01 else ("ms" if female else "mr")
        title = ""
        if r.random() < 0.12:
            title = r.choice(w.DE_TITLES if lang == "de" else w.EN_TITLES)
        return salutation, title, first, last

    # -- rows --

    def organization(self, org_id: int, batch: _Batch) -> tuple[str, str, _Owner, list[int]]:
        """Add one organisation; return its language, country, owner and the stamp range."""
        r = self.rng
        country = _pick(r, _COUNTRIES)
        lang = "de" if country in {"DE", "AT"} else "en"
        city = r.choice(w.CITIES[country])
        industry = r.choice(w.INDUSTRIES)
        name = self._org_name(lang, country, industry)
        legal_form = _pick(r, _LEGAL[country])
        vat_id = self._vat(country, city[0])
        base = slug(name)
        if r.random() < 0.3:
            base = f"{base}-{slug(city[0])}"
        website = f"https://www.{base}.{w.TLD[country]}"
        domain = domain_from_website(website)
        emails = [f"{'info' if lang == 'de' else 'hello'}@{domain}"]
        if r.random() < 0.4:
            emails.append(f"{'vertrieb' if lang == 'de' else 'sales'}@{domain}")
        phones = [self._phone(city[3], city[4])]
        if r.random() < 0.3:
            phones.append(self._phone(city[3], city[4]))
        billing = _address(r, country, city)
        shipping = _address(r, country, r.choice(w.CITIES[country])) if r.random() < 0.2 else {}
        owner = self._owner()
        status = _pick(r, _STATUS)
        parent = r.choice(self.recent_orgs) if self.recent_orgs and r.random() < 0.02 else None
        created, updated = self._created()
        archived = self.stamp(updated) if r.random() < 0.01 else None
        batch.orgs.append((
            org_id, self.stamp(created), self.stamp(updated), 1, archived, name, legal_form,
            vat_id, industry[0 if lang == "de" else 1], website, domain, _json_strings(emails),
            _json_strings(phones), json.dumps(billing), json.dumps(shipping), owner.id,
            owner.team_id, status, parent,
            organization_search_text(
                name=name, legal_form=legal_form, vat_id=vat_id, domain=domain, emails=emails,
                phones=phones,
            ),
        ))  # fmt: skip
        if r.random() < 0.3:
            for tag_id in r.sample(self.tag_ids, r.randint(1, 2)):
                batch.org_tags.append((org_id, tag_id))
        self.recent_orgs.append(org_id)
        return lang, country, owner, [created, domain]

    def person(
        self,
        person_id: int,
        batch: _Batch,
        *,
        lang: str,
        country: str,
        owner: _Owner,
        domain: str | None,
        created_after: int,
    ) -> None:
        r = self.rng
        salutation, title, first, last = self._person_names(lang, country)
        local = f"{_mail_part(first)}.{_mail_part(last)}"
        if domain:
            emails = [f"{local}@{domain}"]
            phones = [self._mobile(country)] if r.random() < 0.6 else []
            job = r.choice(w.DE_JOBS if lang == "de" else w.EN_JOBS)
            addresses: list[dict] = []
        else:
            emails = [f"{local}{r.randint(1, 99)}@{r.choice(w.PRIVATE_MAIL[country])}"]
            phones = [self._mobile(country)]
            job = ""
            addresses = [_address(r, country, r.choice(w.CITIES[country]))]
        person_lang = lang if r.random() < 0.9 else ("en" if lang == "de" else "de")
        created = min(self.now, created_after + r.randint(0, 60 * DAY))
        updated = min(self.now, created + r.randint(0, 90 * DAY))
        batch.people.append((
            person_id, self.stamp(created), self.stamp(updated), 1, None, salutation, title,
            first, last, _json_strings(emails), _json_strings(phones), job, person_lang,
            json.dumps(addresses), owner.id, owner.team_id,
            person_search_text(first_name=first, last_name=last, emails=emails, phones=phones),
        ))  # fmt: skip
        if r.random() < 0.1:
            batch.person_tags.append((person_id, r.choice(self.tag_ids)))

    def affiliation(
        self, batch: _Batch, person_id: int, org_id: int, lang: str, *, primary: bool, at: int
    ) -> None:
        role = self.rng.choice(w.DE_ROLES if lang == "de" else w.EN_ROLES)
        stamp = self.stamp(at)
        batch.affiliations.append((person_id, org_id, role, primary, stamp, stamp, 1))

    def activity(
        self,
        activity_id: int,
        batch: _Batch,
        *,
        lang: str,
        owner: _Owner,
        org_id: int | None,
        person_id: int | None,
    ) -> None:
        r = self.rng
        kind = _pick(r, _TYPES)
        subject = r.choice(w.SUBJECTS[lang][kind])
        body_index = r.randrange(len(w.BODIES[lang]))
        body = w.BODIES[lang][body_index]
        # Office hours (07:00-17:45 UTC), on a quarter hour, like people book them.
        starts = self.now - r.randint(1, HISTORY_DAYS) * DAY + r.randint(28, 71) * 900
        due = done_at = duration = None
        outcome = ""
        is_done = False
        assignee: int | None = None
        if kind == "task":
            due = self.now + r.randint(-120, 45) * DAY + r.randint(7, 17) * 3600
            starts_value = None
            created = min(self.now, due - r.randint(1, 30) * DAY)
            is_done = r.random() < (0.75 if due < self.now else 0.1)
            if is_done:
                done_at = due - r.randint(0, 5 * DAY) + r.randint(0, 7 * DAY)
                done_at = max(created, min(self.now, done_at))
            assignee = (
                owner.id if r.random() < 0.8 or not owner.teammates else (r.choice(owner.teammates))
            )
            occurred = due
        else:
            starts_value = starts
            if kind in {"call", "meeting"}:
                duration = r.randint(5, 45) if kind == "call" else r.choice((30, 45, 60, 90, 120))
                outcome = r.choice(w.OUTCOMES[lang])
            occurred = starts
            created = starts + (duration or 5) * 60
        created = min(created, self.now)
        updated = min(self.now, max(created, done_at or created))
        stamp = self.stamp
        batch.activities.append((
            activity_id, stamp(created), stamp(updated), 1, None, kind, subject, body, "markdown",
            self.templates.html[lang][body_index],
            stamp(starts_value) if starts_value is not None else None,
            stamp(due) if due is not None else None, duration, outcome, is_done,
            stamp(done_at) if done_at is not None else None, stamp(occurred), owner.id, assignee,
            owner.team_id, search_text(subject, outcome),
        ))  # fmt: skip
        if org_id is not None:
            batch.activity_orgs.append((activity_id, org_id))
        if person_id is not None:
            batch.activity_people.append((activity_id, person_id))

    def customer(self, plan: _Plan, ids: Iterator[int], batch: _Batch, people_ids, act_ids):
        """Add one organisation with its people and activities, and maybe one B2C person."""
        org_id = next(ids)
        lang, country, owner, (created, domain) = self.organization(org_id, batch)
        org_people = []
        for index in range(plan.people):
            person_id = next(people_ids)
            self.person(
                person_id, batch, lang=lang, country=country, owner=owner, domain=domain,
                created_after=created,
            )  # fmt: skip
            self.affiliation(batch, person_id, org_id, lang, primary=True, at=created)
            # Some people also work for a sister company (a second, non-primary affiliation).
            if index == 0 and len(self.recent_orgs) > 1 and self.rng.random() < 0.05:
                other = self.recent_orgs[-2]
                self.affiliation(batch, person_id, other, lang, primary=False, at=created)
            org_people.append(person_id)
        for _ in range(plan.activities):
            contact = (
                self.rng.choice(org_people) if org_people and self.rng.random() < 0.7 else None
            )
            self.activity(
                next(act_ids), batch, lang=lang, owner=owner, org_id=org_id, person_id=contact
            )
        if plan.b2c:
            country = _pick(self.rng, _COUNTRIES)
            lang = "de" if country in {"DE", "AT"} else "en"
            owner = self._owner()
            person_id = next(people_ids)
            created = self.now - self.rng.randint(0, HISTORY_DAYS * DAY)
            self.person(
                person_id, batch, lang=lang, country=country, owner=owner, domain=None,
                created_after=created,
            )  # fmt: skip
            self.activity(
                next(act_ids), batch, lang=lang, owner=owner, org_id=None, person_id=person_id
            )


# --- the run -------------------------------------------------------------------------------


def _owners(users: dict) -> dict[str, _Owner]:
    result = {}
    for username in OWNER_WEIGHTS:
        user = users[username]
        teams = list(user.teams.order_by("pk"))
        team = teams[0] if teams else None
        mates = tuple(sorted(m.pk for m in team.members.all() if m.pk != user.pk) if team else ())
        result[username] = _Owner(id=user.pk, team_id=team.pk if team else None, teammates=mates)
    return result


def _write_batch(writer: _Writer, batch: _Batch) -> None:
    m2m = Organization.tags.through._meta.db_table
    writer.write(ORG_TABLE, ORG_COLUMNS, batch.orgs)
    writer.write(PERSON_TABLE, PERSON_COLUMNS, batch.people)
    writer.write(Affiliation._meta.db_table, AFFILIATION_COLUMNS, batch.affiliations)
    writer.write(m2m, ("organization_id", "tag_id"), batch.org_tags)
    writer.write(Person.tags.through._meta.db_table, ("person_id", "tag_id"), batch.person_tags)
    writer.write(ACTIVITY_TABLE, ACTIVITY_COLUMNS, batch.activities)
    writer.write(
        Activity.organizations.through._meta.db_table,
        ("activity_id", "organization_id"),
        batch.activity_orgs,
    )
    writer.write(
        Activity.people.through._meta.db_table, ("activity_id", "person_id"), batch.activity_people
    )


def _analyze(vendor: str) -> None:
    """Refresh planner statistics after a big load, so list and search plans stay right."""
    with connection.cursor() as cursor:
        for table in (*SEARCH_TABLES, Affiliation._meta.db_table):
            cursor.execute(f"ANALYZE {table}")


def seed(
    *,
    customers: int,
    seed: int = 1,
    people_per_org: float = 1.5,
    activities_per_customer: float = 2.0,
    b2c_share: float = 0.1,
    batch: int = 5000,
    progress: bool = False,
    now: dt.datetime | None = None,
    rebuild_threshold: int | None = None,
) -> SeedResult:
    """Append `customers` organisations (with people and activities); return the row counts.

    `rebuild_threshold`: loads of at least this many organisations drop the secondary indexes
    and the search triggers (SQLite) / trigram indexes (PostgreSQL) and rebuild them once at
    the end (other sessions' queries on these tables are slow meanwhile).
    """
    if customers < 0:
        raise SeedError("--customers must be 0 or more.")
    if batch < 1:
        raise SeedError("--batch must be at least 1.")
    if not 0 <= people_per_org <= 20:
        raise SeedError("--people-per-org must be between 0 and 20.")
    if not 0 <= activities_per_customer <= 50:
        raise SeedError("--activities-per-customer must be between 0 and 50.")
    if not 0 <= b2c_share <= 1:
        raise SeedError("--b2c-share must be between 0 and 1.")
    if seed < 0:
        raise SeedError("--seed must be 0 or more.")
    writer = _writer()
    vendor = writer.vendor
    if now is None:
        # Midnight UTC: the same seed gives the same data all day.
        now = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    if rebuild_threshold is None:
        rebuild_threshold = (
            SQLITE_REBUILD_THRESHOLD if vendor == "sqlite" else POSTGRES_REBUILD_THRESHOLD
        )
    with transaction.atomic():
        users = ensure_demo_users()
        tag_ids = [Tag.objects.get_or_create(name=name)[0].pk for name in w.TAGS]
    generator = Generator(
        seed=seed,
        people_per_org=people_per_org,
        activities_per_customer=activities_per_customer,
        b2c_share=b2c_share,
        owners=_owners(users),
        tag_ids=tag_ids,
        now=now,
        stamp=writer.stamp,
    )
    result = SeedResult()
    # Rebuilding pays only when the load is large against what the tables already hold.
    bulk = customers > 0 and customers >= max(rebuild_threshold, Organization.objects.count() // 2)
    bar = _progress_bar(customers, progress)
    if bulk:
        with transaction.atomic():
            _suspend_indexes(vendor)
    try:
        for start in range(0, customers, batch):
            count = min(batch, customers - start)
            plans = [generator.plan() for _ in range(count)]
            with transaction.atomic():
                org_ids = writer.ids(ORG_TABLE, count)
                people_ids = writer.ids(PERSON_TABLE, sum(p.people + p.b2c for p in plans))
                act_ids = writer.ids(ACTIVITY_TABLE, sum(p.activities + p.b2c for p in plans))
                for key, ids in (("organization", org_ids), ("person", people_ids)):
                    if ids:
                        result.first_ids.setdefault(key, ids[0])
                rows = _Batch()
                org_iter, people_iter, act_iter = iter(org_ids), iter(people_ids), iter(act_ids)
                for plan in plans:
                    generator.customer(plan, org_iter, rows, people_iter, act_iter)
                _write_batch(writer, rows)
            result.organizations += len(rows.orgs)
            result.people += len(rows.people)
            result.affiliations += len(rows.affiliations)
            result.activities += len(rows.activities)
            result.tags += len(rows.org_tags) + len(rows.person_tags)
            bar.update(count)
    finally:
        bar.close()
        with transaction.atomic():
            # Always: repairs an index a crashed earlier run may have left suspended.
            _restore_indexes(vendor, rebuild=bulk)
    if bulk:
        _analyze(vendor)
    with transaction.atomic():
        audit_record(
            actor=None,
            verb=AuditEvent.Verb.CREATE,
            target_type="seed",
            target_id=str(seed),
            target_repr=f"Demo data (seed {seed}, {customers} customers)",
            changes=result.as_dict(),
        )
    return result


def _progress_bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit=" customers",
        unit_scale=True,
        file=sys.stderr,
        disable=not enabled,
    )
