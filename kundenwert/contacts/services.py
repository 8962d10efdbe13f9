"""Write use cases for organisations, people and affiliations.

Every function: keyword-only, takes the acting user, runs in one transaction (via `service`),
checks permission record by record, writes the audit event, and raises ValidationError,
PermissionDenied, NotFound, ConflictError or PreconditionFailed. Nothing half-writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.utils.translation import gettext as _

from kundenwert.audit.models import AuditEvent
from kundenwert.audit.services import archive_recorded, audit_record, diff, service, snapshot
from kundenwert.core.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    ValidationError,
    denial_message,
)
from kundenwert.core.normalize import (
    domain_from_website,
    normalize_address,
    normalize_email,
    normalize_list,
    normalize_phone,
    normalize_vat_id,
    normalize_website,
)
from kundenwert.core.records import check_not_archived, check_version, run_validators
from kundenwert.org.models import Team
from kundenwert.org.policies import can, is_admin, permissions_for

from .models import (
    Affiliation,
    Organization,
    Person,
    Tag,
    organization_search_text,
    person_search_text,
)

ORGANIZATION_FIELDS = (
    "name", "legal_form", "vat_id", "industry", "website", "emails", "phones",
    "billing_address", "shipping_address", "owner", "team", "status", "parent",
)  # fmt: skip
PERSON_FIELDS = (
    "salutation", "title", "first_name", "last_name", "emails", "phones", "job_title",
    "language", "addresses", "owner", "team",
)  # fmt: skip
AFFILIATION_FIELDS = ("person", "organization", "role", "is_primary")


def _text(limit: int):
    def build(value) -> str:
        if value is not None and not isinstance(value, str):
            raise TypeError("text expected")
        return (value or "").strip()[:limit]

    return build


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _addresses(values) -> list[dict]:
    if not isinstance(values, list):
        raise ValidationError({"addresses": [_("Enter a list of addresses.")]})
    return [a for a in (normalize_address(v, "addresses") for v in values) if a]


def _languages(value: str) -> str:
    value = (value or "").strip().lower()
    if value and value not in {"de", "en"}:
        raise ValidationError({"language": [_("Choose de or en.")]})
    return value


def _owner(value) -> Any:
    user_model = get_user_model()
    user = user_model.objects.filter(pk=value, is_active=True).first() if _is_id(value) else None
    if user is None:
        raise ValidationError({"owner_id": [_("No active user with this id.")]})
    return user


def _team(value) -> Team | None:
    if value is None:
        return None
    team = Team.objects.filter(pk=value).first() if _is_id(value) else None
    if team is None:
        raise ValidationError({"team_id": [_("No team with this id.")]})
    return team


COMMON_NORMALIZERS = {
    "emails": lambda v: normalize_list(v, normalize_email, "emails"),
    "phones": lambda v: normalize_list(v, normalize_phone, "phones"),
    "owner": _owner,
    "team": _team,
}

ORGANIZATION_NORMALIZERS = {
    **COMMON_NORMALIZERS,
    "name": _text(200),
    "legal_form": _text(40),
    "vat_id": normalize_vat_id,
    "industry": _text(100),
    "website": normalize_website,
    "billing_address": lambda v: normalize_address(v, "billing_address"),
    "shipping_address": lambda v: normalize_address(v, "shipping_address"),
}

PERSON_NORMALIZERS = {
    **COMMON_NORMALIZERS,
    # null (allowed by PATCH) clears the salutation; the column is NOT NULL.
    "salutation": lambda v: v or "",
    "title": _text(50),
    "first_name": _text(100),
    "last_name": _text(100),
    "job_title": _text(100),
    "language": _languages,
    "addresses": _addresses,
}


def _rename_ids(data: dict) -> dict:
    """Accept `owner_id`, `team_id`, `parent_id` from adapters as the model's relation names."""
    renamed = {}
    for key, value in data.items():
        renamed[key[:-3] if key in {"owner_id", "team_id", "parent_id"} else key] = value
    return renamed


def _set_tags(instance, names: list[str] | None) -> list[str]:
    if names is not None and not isinstance(names, list | tuple):
        # A bare string would otherwise become one tag per character.
        raise ValidationError({"tags": [_("Enter a list of tag names.")]})
    cleaned = sorted({str(n).strip()[:50] for n in names or [] if str(n).strip()})
    tags = [Tag.objects.get_or_create(name=n)[0] for n in cleaned]
    instance.tags.set(tags)
    return cleaned


def _tag_names(instance) -> list[str]:
    return sorted(t.name for t in instance.tags.all()) if instance.pk else []


def _deny(actor, entity: str, action: str, instance=None) -> PermissionDenied:
    return PermissionDenied(
        denial_message(entity, action),
        action=f"{entity}.{action}",
        target_type=entity,
        target_id=str(instance.pk) if instance is not None and instance.pk else "",
    )


def _require(actor, entity: str, action: str, instance) -> None:
    if not can(actor, entity, action, owner_id=instance.owner_id, team_id=instance.team_id):
        raise _deny(actor, entity, action, instance)


def _lock_visible(model, viewer, pk: int):
    """Lock and return a record the viewer may see; NotFound otherwise (no existence leak)."""
    instance = model.objects.visible_to(viewer).select_for_update().filter(pk=pk).first()
    if instance is None:
        raise NotFound(_("%s not found.") % model._meta.verbose_name.capitalize())
    return instance


def _default_team(actor) -> Team | None:
    team_ids = sorted(permissions_for(actor).team_ids)
    return Team.objects.filter(pk=team_ids[0]).first() if len(team_ids) == 1 else None


# --- organisations -------------------------------------------------------------------------


def _check_parent(actor, org: Organization) -> None:
    if org.parent_id is None:
        return
    if not Organization.objects.visible_to(actor).filter(pk=org.parent_id).exists():
        raise ValidationError({"parent_id": [_("No organisation with this id.")]})
    seen = {org.pk}
    current = org.parent_id
    while current is not None:
        if current in seen:
            raise ValidationError({"parent_id": [_("An organisation cannot be its own parent.")]})
        seen.add(current)
        current = (
            Organization.objects.filter(pk=current).values_list("parent_id", flat=True).first()
        )


def _organization_normalizers() -> dict:
    def parent(value):
        if value is None:
            return None
        found = Organization.objects.filter(pk=value).first() if _is_id(value) else None
        if found is None:
            raise ValidationError({"parent_id": [_("No organisation with this id.")]})
        return found

    return {**ORGANIZATION_NORMALIZERS, "parent": parent}


def _organization_finish(org: Organization) -> None:
    org.domain = domain_from_website(org.website)
    org.search_text = organization_search_text(
        name=org.name,
        legal_form=org.legal_form,
        vat_id=org.vat_id,
        domain=org.domain,
        emails=org.emails,
        phones=org.phones,
    )


@dataclass(frozen=True)
class _Kind:
    """What differs between the contact records that share one create/update path."""

    model: type
    entity: str
    fields: tuple[str, ...]
    normalizers: Callable[[], dict]
    finish: Callable[[object], None]
    # Checks that need the saved record (e.g. the parent chain); `data` holds what an update
    # sent, None on create (everything is new).
    check: Callable[[object, object, dict | None], None] = lambda actor, instance, data: None


def _fields_of(kind: _Kind, data: dict) -> tuple[dict, list | None]:
    data = _rename_ids(data)
    tags = data.pop("tags", None)
    unknown = set(data) - set(kind.fields)
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in sorted(unknown)})
    return data, tags


def _create(kind: _Kind, *, actor, data: dict):
    data, tags = _fields_of(kind, data)
    instance = kind.model(owner=actor, team=_default_team(actor))
    run_validators(instance, data, kind.normalizers())
    kind.finish(instance)
    _require(actor, kind.entity, "edit", instance)
    instance.save()
    kind.check(actor, instance, None)
    names = _set_tags(instance, tags)
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.CREATE,
        target=instance,
        changes=diff({}, {**snapshot(instance, kind.fields), "tags": names}),
    )
    return instance


def _update(kind: _Kind, *, actor, pk: int, data: dict, expected_version: int | None):
    data, tags = _fields_of(kind, data)
    instance = _lock_visible(kind.model, actor, pk)
    _require(actor, kind.entity, "edit", instance)
    check_version(instance, expected_version)
    check_not_archived(instance)
    before = {**snapshot(instance, kind.fields), "tags": _tag_names(instance)}
    run_validators(instance, data, kind.normalizers())
    kind.finish(instance)
    _require(actor, kind.entity, "edit", instance)  # the new owner/team must be in reach too
    kind.check(actor, instance, data)
    after_tags = _set_tags(instance, tags) if tags is not None else before["tags"]
    changes = diff(before, {**snapshot(instance, kind.fields), "tags": after_tags})
    if changes:
        instance.version += 1
        instance.save()
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, target=instance, changes=changes)
    return instance


def _organization_check(actor, org: Organization, data: dict | None) -> None:
    # Only a parent that is being set is checked: an unchanged one may since have moved out of
    # the actor's sight, which must not block unrelated edits.
    if data is None or "parent" in data:
        _check_parent(actor, org)


ORGANIZATION = _Kind(
    model=Organization,
    entity="organization",
    fields=ORGANIZATION_FIELDS,
    normalizers=_organization_normalizers,
    finish=_organization_finish,
    check=_organization_check,
)


@service
def organization_create(*, actor, data: dict) -> Organization:
    """Create an organisation owned by `data["owner_id"]` (default: the actor)."""
    return _create(ORGANIZATION, actor=actor, data=data)


@service
def organization_update(
    *, actor, organization_id: int, data: dict, expected_version: int | None = None
) -> Organization:
    """Change the given fields; refuse a stale version with PreconditionFailed."""
    return _update(
        ORGANIZATION, actor=actor, pk=organization_id, data=data, expected_version=expected_version
    )


def _archive(model, entity: str, *, actor, pk: int, restore: bool):
    instance = _lock_visible(model, actor, pk)
    _require(actor, entity, "delete", instance)
    archive_recorded(actor=actor, record=instance, archived=not restore)
    return instance


def _purge(model, entity: str, fields, *, actor, pk: int) -> None:
    instance = _lock_visible(model, actor, pk)
    if not is_admin(actor):
        raise _deny(actor, entity, "delete permanently", instance)
    before = snapshot(instance, fields)
    target_id, target_repr = instance.pk, str(instance)
    try:
        instance.delete()
    except IntegrityError as exc:  # pragma: no cover - protected relations
        raise ConflictError(_("Other records still depend on this one.")) from exc
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.DELETE,
        target_type=entity,
        target_id=target_id,
        target_repr=target_repr,
        changes=diff(before, {}),
    )


@service
def organization_archive(*, actor, organization_id: int) -> Organization:
    """Archive (soft-delete) the organisation; archiving twice is harmless."""
    return _archive(Organization, "organization", actor=actor, pk=organization_id, restore=False)


@service
def organization_restore(*, actor, organization_id: int) -> Organization:
    return _archive(Organization, "organization", actor=actor, pk=organization_id, restore=True)


@service
def organization_delete(*, actor, organization_id: int) -> None:
    """Delete the organisation for good (administrators only); its affiliations go with it."""
    _purge(Organization, "organization", ORGANIZATION_FIELDS, actor=actor, pk=organization_id)


# --- people --------------------------------------------------------------------------------


def _person_finish(person: Person) -> None:
    person.search_text = person_search_text(
        first_name=person.first_name,
        last_name=person.last_name,
        emails=person.emails,
        phones=person.phones,
    )


PERSON = _Kind(
    model=Person,
    entity="person",
    fields=PERSON_FIELDS,
    normalizers=lambda: PERSON_NORMALIZERS,
    finish=_person_finish,
)


@service
def person_create(*, actor, data: dict) -> Person:
    """Create a person (with or without an organisation)."""
    return _create(PERSON, actor=actor, data=data)


@service
def person_update(
    *, actor, person_id: int, data: dict, expected_version: int | None = None
) -> Person:
    """Change the given fields; refuse a stale version with PreconditionFailed."""
    return _update(PERSON, actor=actor, pk=person_id, data=data, expected_version=expected_version)


@service
def person_archive(*, actor, person_id: int) -> Person:
    return _archive(Person, "person", actor=actor, pk=person_id, restore=False)


@service
def person_restore(*, actor, person_id: int) -> Person:
    return _archive(Person, "person", actor=actor, pk=person_id, restore=True)


@service
def person_delete(*, actor, person_id: int) -> None:
    """Delete the person for good (administrators only)."""
    _purge(Person, "person", PERSON_FIELDS, actor=actor, pk=person_id)


# --- affiliations ----------------------------------------------------------------------------


def _affiliation_target(affiliation: Affiliation) -> dict:
    return {
        "target_type": "person",
        "target_id": affiliation.person_id,
        "target_repr": str(affiliation.person),
    }


def _demote_other_primaries(affiliation: Affiliation) -> None:
    if affiliation.is_primary:
        Affiliation.objects.filter(person_id=affiliation.person_id, is_primary=True).exclude(
            pk=affiliation.pk
        ).update(is_primary=False)


@service
def affiliation_create(
    *, actor, person_id: int, organization_id: int, role: str = "", is_primary: bool = False
) -> Affiliation:
    """Link a person to an organisation. Editing the person's links needs edit on the person."""
    person = _lock_visible(Person, actor, person_id)
    org = Organization.objects.visible_to(actor).filter(pk=organization_id).first()
    if org is None:
        raise ValidationError({"organization_id": [_("No organisation with this id.")]})
    _require(actor, "person", "edit", person)
    check_not_archived(person)
    check_not_archived(org)
    if Affiliation.objects.filter(person=person, organization=org).exists():
        raise ConflictError(_("This person is already linked to this organisation."))
    aff = Affiliation(
        person=person,
        organization=org,
        role=str(role or "").strip()[:100],
        is_primary=bool(is_primary),
    )
    if aff.is_primary:
        _demote_other_primaries(aff)
    aff.save()
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.UPDATE,
        **_affiliation_target(aff),
        changes={
            "affiliations": [
                None,
                {"organization": org.pk, "role": aff.role, "is_primary": aff.is_primary},
            ]
        },
    )
    return aff


def _lock_affiliation(actor, affiliation_id: int) -> Affiliation:
    aff = (
        Affiliation.objects.visible_to(actor)
        .select_for_update()
        .select_related("person", "organization")
        .filter(pk=affiliation_id)
        .first()
    )
    if (
        aff is None
        or not Organization.objects.visible_to(actor).filter(pk=aff.organization_id).exists()
    ):
        raise NotFound(_("Affiliation not found."))
    return aff


@service
def affiliation_update(
    *, actor, affiliation_id: int, data: dict, expected_version: int | None = None
) -> Affiliation:
    """Change the role or primary flag of an affiliation."""
    unknown = set(data) - {"role", "is_primary"}
    if unknown:
        raise ValidationError({k: [_("This field cannot be changed.")] for k in sorted(unknown)})
    aff = _lock_affiliation(actor, affiliation_id)
    _require(actor, "person", "edit", aff.person)
    check_version(aff, expected_version)
    before = {"role": aff.role, "is_primary": aff.is_primary}
    if "role" in data:
        aff.role = str(data["role"] or "").strip()[:100]
    if "is_primary" in data:
        aff.is_primary = bool(data["is_primary"])
    changes = diff(before, {"role": aff.role, "is_primary": aff.is_primary})
    if changes:
        _demote_other_primaries(aff)
        aff.version += 1
        aff.save()
        audit_record(
            actor=actor,
            verb=AuditEvent.Verb.UPDATE,
            **_affiliation_target(aff),
            changes={f"affiliation {aff.organization_id}.{k}": v for k, v in changes.items()},
        )
    return aff


@service
def affiliation_delete(*, actor, affiliation_id: int) -> None:
    """Remove the link between a person and an organisation."""
    aff = _lock_affiliation(actor, affiliation_id)
    _require(actor, "person", "edit", aff.person)
    target = _affiliation_target(aff)
    before = {"organization": aff.organization_id, "role": aff.role, "is_primary": aff.is_primary}
    aff.delete()
    audit_record(
        actor=actor, verb=AuditEvent.Verb.UPDATE, **target, changes={"affiliations": [before, None]}
    )
