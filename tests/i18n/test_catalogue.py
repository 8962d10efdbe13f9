"""The German catalogue is complete, compiled, current with the source, and actually used."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import override

import kundenwert
from kundenwert.activities.models import Activity
from kundenwert.audit.models import AuditEvent
from kundenwert.contacts.models import Organization
from kundenwert.core.normalize import normalize_phone, normalize_vat_id
from tests.conftest import IN_CI, issue_token

PACKAGE = Path(kundenwert.__file__).resolve().parent
LOCALE = PACKAGE / "locale"
DE_PO = LOCALE / "de" / "LC_MESSAGES" / "django.po"
DE_MO = LOCALE / "de" / "LC_MESSAGES" / "django.mo"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
EN_MO = LOCALE / "en" / "LC_MESSAGES" / "django.mo"

# What `makemessages` leaves out (see docs/i18n.md): the numeric package has no user-facing text.
EXCLUDED_DIRS = {"clv", "locale", "__pycache__"}
# The keywords Django's makemessages passes to xgettext, on top of xgettext's Python defaults.
XGETTEXT_KEYWORDS = (
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy:1,2",
    "pgettext:1c,2",
    "npgettext:1c,2,3",
    "pgettext_lazy:1c,2",
    "npgettext_lazy:1c,2,3",
)
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")

# The live server needs committed data, and its flush removes the roles migration org/0002 made.
LIVE = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def gettext_tool(name: str) -> str:
    """Return the path of a GNU gettext program; skip outside CI when it is not installed."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is missing: CI must install GNU gettext (apt-get install gettext)")
        pytest.skip(f"{name} not installed (GNU gettext); CI runs this check")
    return path


# --- a minimal PO reader (polib is not a dependency) ---------------------------------------


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags


_FIELD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')


def _unquote(token: str) -> str:
    """Decode one PO string literal ("…" with C escapes)."""
    body = token.strip()[1:-1]
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), body)


def read_po(text: str) -> list[Entry]:
    """Return the non-obsolete entries of a PO file, the header (msgid "") included."""
    entries: list[Entry] = []
    current: dict = {}
    flags: set[str] = set()
    target: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal current, flags, target
        if "msgid" in current:
            entries.append(
                Entry(
                    msgid=current["msgid"],
                    msgctxt=current.get("msgctxt"),
                    msgid_plural=current.get("msgid_plural"),
                    msgstr=current.get("msgstr", {}),
                    flags=flags,
                )
            )
        current, flags, target = {}, set(), None

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):  # obsolete entries are not part of the catalogue
            continue
        if line.startswith("#"):
            # A comment after a complete entry starts the next one, blank line or not.
            if "msgstr" in current:
                finish()
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        match = _FIELD.match(line)
        if match:
            name, index, literal = match.groups()
            if name == "msgctxt" and "msgstr" in current:
                finish()
            if name == "msgid" and "msgstr" in current:
                finish()
            if name.startswith("msgstr"):
                number = int(index) if index is not None else 0
                current.setdefault("msgstr", {})[number] = _unquote(literal)
                target = ("msgstr", number)
            else:
                current[name] = _unquote(literal)
                target = (name, None)
            continue
        if line.startswith('"') and target is not None:  # continuation of the last string
            name, number = target
            if name == "msgstr":
                current["msgstr"][number] += _unquote(line)
            else:
                current[name] += _unquote(line)
            continue
        raise ValueError(f"cannot read PO line: {raw!r}")
    finish()
    return entries


def messages(entries: list[Entry]) -> list[Entry]:
    """Return the entries without the header."""
    return [e for e in entries if e.msgid != ""]


def german() -> list[Entry]:
    return read_po(DE_PO.read_text(encoding="utf-8"))


# --- (a) complete ---------------------------------------------------------------------------


def test_reader_understands_the_po_syntax_the_catalogue_uses():
    entries = read_po(
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n'
        '#: a.py:1\n#, fuzzy, python-format\nmsgid "Hi %s"\nmsgstr "Hallo %s"\n\n'
        'msgctxt "level"\nmsgid "none"\nmsgstr ""\n\n'
        'msgid "one"\nmsgid_plural "many \\"x\\""\nmsgstr[0] "eins"\nmsgstr[1] ""\n'
        '"viele"\n\n#~ msgid "gone"\n#~ msgstr "weg"\n'
    )
    assert [(e.key, e.msgstr, e.fuzzy) for e in entries] == [
        ((None, ""), {0: "Language: de\n"}, False),
        ((None, "Hi %s"), {0: "Hallo %s"}, True),
        (("level", "none"), {0: ""}, False),
        ((None, "one"), {0: "eins", 1: "viele"}, False),
    ]
    assert entries[3].msgid_plural == 'many "x"'
    assert [e.translated for e in entries[1:]] == [True, False, True]


def test_german_catalogue_translates_every_message_and_has_no_fuzzy_entry():
    entries = messages(german())
    assert len(entries) >= 150, "the catalogue looks truncated"
    untranslated = [e.msgid for e in entries if not e.translated]
    fuzzy = [e.msgid for e in entries if e.fuzzy]
    assert (untranslated, fuzzy) == ([], []), (
        f"untranslated German msgids: {untranslated}; "
        f"fuzzy German msgids (review, then drop the flag): {fuzzy}"
    )


def test_german_header_is_final_and_utf8():
    header = german()[0]
    assert header.msgid == ""
    assert not header.fuzzy
    assert "Language: de\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]


def _placeholders_kept(entry: Entry) -> bool:
    if entry.msgid_plural is None:
        found = sorted(PLACEHOLDER.findall(entry.msgstr[0]))
        return sorted(PLACEHOLDER.findall(entry.msgid)) == found
    # A plural form may drop the count ("ein Zeichen") but must not invent a placeholder.
    allowed = set(PLACEHOLDER.findall(entry.msgid + entry.msgid_plural))
    return all(set(PLACEHOLDER.findall(text)) <= allowed for text in entry.msgstr.values())


def test_german_translations_keep_every_placeholder():
    wrong = {e.msgid: e.msgstr for e in messages(german()) if not _placeholders_kept(e)}
    assert wrong == {}


def test_german_translations_use_german_quotation_marks():
    english_quotes = [e.msgstr[0] for e in messages(german()) if re.search("[“”]", e.msgid)]
    assert english_quotes, "expected messages that quote a value"
    assert [s for s in english_quotes if not re.search("„[^“”]*“", s) or "”" in s] == []


@pytest.mark.parametrize("po", [DE_PO, EN_PO], ids=["de", "en"])
def test_msgfmt_accepts_the_catalogue(po):
    msgfmt = gettext_tool("msgfmt")
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    if po == DE_PO:
        assert "untranslated" not in result.stderr, result.stderr
        assert "fuzzy" not in result.stderr, result.stderr


# --- (b) compiled and current ---------------------------------------------------------------


@pytest.mark.parametrize(("po", "mo"), [(DE_PO, DE_MO), (EN_PO, EN_MO)], ids=["de", "en"])
def test_compiled_catalogue_matches_the_po_file(po, mo):
    """Compare what Python's gettext loads from the .mo with the translated PO entries."""
    assert mo.exists(), f"{mo} missing: run compilemessages (docs/i18n.md)"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    expected = {}
    for entry in messages(read_po(po.read_text(encoding="utf-8"))):
        if not entry.translated or entry.fuzzy:
            continue  # msgfmt leaves these out
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            expected[key] = entry.msgstr[0]
        else:
            for number, text in entry.msgstr.items():
                expected[(key, number)] = text
    # _catalog is the parsed .mo; the empty key is the header.
    loaded = {k: v for k, v in compiled._catalog.items() if k != ""}
    stale = sorted(set(expected.items()) ^ set(loaded.items()), key=str)
    assert stale == [], f"{mo.name} is out of date with {po.name}: run compilemessages"
    assert compiled.info().get("language") == po.parent.parent.name


def _source_files() -> list[Path]:
    found = []
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(PACKAGE).parts
        if set(relative) & EXCLUDED_DIRS or any(p.startswith(".") for p in relative):
            continue
        if path.suffix in {".py", ".html", ".txt"} and path.is_file():
            found.append(path)
    return found


def test_catalogue_contains_every_string_marked_in_the_source(tmp_path):
    """Fail when someone marked new strings but nobody ran makemessages (docs/i18n.md)."""
    from django.utils.translation import templatize

    xgettext = gettext_tool("xgettext")
    inputs = []
    for index, path in enumerate(_source_files()):
        if path.suffix == ".py":
            inputs.append(str(path))
        else:  # templates: convert like makemessages does, then read as Python
            converted = tmp_path / f"template_{index}.py"
            converted.write_text(
                templatize(path.read_text(encoding="utf-8"), origin=str(path)), encoding="utf-8"
            )
            inputs.append(str(converted))
    result = subprocess.run(
        [
            xgettext,
            "--language=Python",
            "--from-code=UTF-8",
            *(f"--keyword={k}" for k in XGETTEXT_KEYWORDS),
            "--output=-",
            *inputs,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    in_source = {e.key for e in messages(read_po(result.stdout))}
    assert len(in_source) >= 150
    for po in (DE_PO, EN_PO):
        in_catalogue = {e.key for e in messages(read_po(po.read_text(encoding="utf-8")))}
        missing = sorted(in_source - in_catalogue, key=str)
        assert missing == [], f"not in {po}; run makemessages (docs/i18n.md): {missing}"


# --- (c) used at run time ---------------------------------------------------------------------


def test_vat_id_error_is_german_under_german_and_english_under_english():
    with override("de"), pytest.raises(ValidationError) as german_error:
        normalize_vat_id("DE123")
    with override("en"), pytest.raises(ValidationError) as english_error:
        normalize_vat_id("DE123")
    assert german_error.value.messages == ["„DE123“ ist keine gültige EU-USt-IdNr."]
    assert english_error.value.messages == ["“DE123” is not a valid EU VAT ID."]


def test_phone_error_is_german():
    with override("de"), pytest.raises(ValidationError) as error:
        normalize_phone("12")
    assert error.value.messages == ["„12“ ist keine gültige Telefonnummer."]


def test_model_names_and_choices_are_german():
    with override("de"):
        assert str(Organization._meta.verbose_name) == "Organisation"
        assert str(Organization._meta.get_field("vat_id").verbose_name) == "USt-IdNr."
        assert str(Organization._meta.get_field("owner").verbose_name) == "Verantwortlich"
        assert [str(label) for label in Organization.Status.labels] == [
            "Interessent",
            "Kunde",
            "Partner",
            "Ehemaliger Kunde",
        ]
        assert [str(label) for label in Activity.Type.labels] == [
            "Anruf",
            "Termin",
            "Notiz",
            "Aufgabe",
            "E-Mail",
        ]
        assert str(AuditEvent.Verb.ARCHIVE.label) == "archiviert"
        assert str(AuditEvent.Verb.RESTORE.label) == "wiederhergestellt"
    with override("en"):
        assert str(Organization.Status.FORMER_CUSTOMER.label) == "former customer"


# --- (d) over HTTP ----------------------------------------------------------------------------


@LIVE
def test_api_answers_in_the_language_the_client_asks_for(api, people):
    token = issue_token(people["anna"])
    german_response = api.get(
        "/organizations", params={"colour": "red"}, token=token, headers={"Accept-Language": "de"}
    )
    english_response = api.get(
        "/organizations", params={"colour": "red"}, token=token, headers={"Accept-Language": "en"}
    )
    assert german_response.status_code == 400
    assert german_response.headers["Content-Language"] == "de"
    body = german_response.json()
    assert body["code"] == "invalid"
    assert body["detail"] == "Die Anfrage enthält ungültige Werte."
    assert list(body["errors"]) == ["colour"]
    assert body["errors"]["colour"][0].startswith("Unbekannter Parameter. Erlaubt: ")
    assert english_response.status_code == 400
    assert english_response.json()["detail"] == "The request has invalid values."
    assert english_response.json()["errors"]["colour"][0].startswith("Unknown parameter. Allowed: ")


@LIVE
def test_api_not_found_is_german(api, people):
    token = issue_token(people["anna"])
    response = api.get("/organizations/999999", token=token, headers={"Accept-Language": "de"})
    assert response.status_code == 404
    assert response.json()["detail"] == "Organisation nicht gefunden."


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_token_without_accept_language_speaks_its_users_language(api, people):
    from tests.conftest import issue_token

    anna = people["anna"]
    anna.language = "en"
    anna.save(update_fields=["language"])
    token = issue_token(anna)
    english = api.get("/organizations?colour=red", token=token)
    assert english.status_code == 400
    assert english.json()["detail"] == "The request has invalid values."
    assert english.headers["Content-Language"] == "en"
    german = api.get("/organizations?colour=red", token=token, headers={"Accept-Language": "de"})
    assert german.json()["detail"] == "Die Anfrage enthält ungültige Werte."
