"""Normalise contact data once, at the write path, so search and deduplication can trust it."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

DEFAULT_PHONE_REGION = "DE"
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def normalize_email(value: str) -> str:
    """Return the address with its domain lower-cased; raise ValidationError if it is invalid."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Enter an email address."), code="required")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid email address.") % {"value": value[:100]},
            code="invalid_email",
        ) from exc
    return f"{result.local_part}@{result.domain.lower()}"


def normalize_phone(value: str, *, region: str = DEFAULT_PHONE_REGION) -> str:
    """Return the number in E.164 (`+4930123456`); numbers without a + are read in `region`."""
    raw = (value or "").strip()
    if not raw:
        raise ValidationError(_("Enter a phone number."), code="required")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid phone number.") % {"value": raw[:50]},
            code="invalid_phone",
        ) from exc
    result = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # E.164 allows at most 15 digits; phonenumbers' metadata (e.g. for DE) accepts longer ones.
    if not phonenumbers.is_valid_number(number) or len(result) > 16:
        raise ValidationError(
            _("“%(value)s” is not a valid phone number.") % {"value": raw[:50]},
            code="invalid_phone",
        )
    return result


def normalize_vat_id(value: str) -> str:
    """Return an EU VAT ID in compact form (`DE136695976`) after checking its check digits."""
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        return eu_vat.validate(raw)
    except StdnumError as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid EU VAT ID.") % {"value": raw[:40]}, code="invalid_vat"
        ) from exc


# ISO 3166-1 alpha-2 codes as phonenumbers knows them (it tracks the assigned regions), plus
# Antarctica and a few that have no telephone numbering plan of their own.
_KNOWN_COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS) | {"AQ", "BV", "HM", "PN", "TF", "UM"}


def normalize_country(value: str) -> str:
    """Return an upper-case ISO 3166-1 alpha-2 code; raise ValidationError for unknown codes."""
    value = (value or "").strip().upper()
    if value and (not _COUNTRY.match(value) or value not in _KNOWN_COUNTRIES):
        raise ValidationError(
            _("Use a two-letter ISO country code such as DE."), code="invalid_country"
        )
    return value


def normalize_website(value: str) -> str:
    """Return the website as an http(s) URL (`acme.de` → `https://acme.de`), or raise."""
    raw = (value or "").strip()
    if not raw:
        return ""
    url = raw if re.match(r"^https?://", raw, re.IGNORECASE) else f"https://{raw}"
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” is not a valid website address.") % {"value": raw[:100]},
            code="invalid_website",
        ) from None
    return url[:200]


def normalize_list(values, normalizer, field: str) -> list[str]:
    """Normalise each value, drop duplicates keeping order, and report errors per field."""
    result: list[str] = []
    errors: list[str] = []
    for value in values or []:
        try:
            normalized = normalizer(value)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if normalized not in result:
            result.append(normalized)
    if errors:
        raise ValidationError({field: errors})
    return result


ADDRESS_FIELDS = ("street", "postal_code", "city", "region", "country")


def normalize_address(value: dict | None, field: str) -> dict:
    """Return an address dict with exactly the known keys, trimmed, the country as ISO code."""
    if not value:
        return {}
    unknown = set(value) - set(ADDRESS_FIELDS) - {"label"}
    if unknown:
        raise ValidationError(
            {field: [_("Unknown address fields: %s") % ", ".join(sorted(unknown))]}
        )
    result = {key: str(value.get(key) or "").strip()[:200] for key in ADDRESS_FIELDS}
    if value.get("label"):
        result["label"] = str(value["label"]).strip()[:50]
    try:
        result["country"] = normalize_country(result["country"])
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    if not any(result.get(key) for key in ADDRESS_FIELDS):
        return {}
    return result


def domain_from_website(website: str) -> str:
    """Return the bare host of a website (`https://www.acme.de/x` → `acme.de`)."""
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", (website or "").strip().lower())
    host = host.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    return host.removeprefix("www.")


def search_text(*parts: str | list[str] | None) -> str:
    """Build the lower-cased text the search index reads: names, emails, phones, VAT IDs."""
    words: list[str] = []
    for part in parts:
        if not part:
            continue
        if isinstance(part, list | tuple):
            words.extend(str(p) for p in part if p)
        else:
            words.append(str(part))
    return " ".join(words).lower()[:2000]
