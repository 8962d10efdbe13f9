"""Shared by the data migrations that add entities to the shipped roles."""


def grant_missing(apps, entities: tuple[str, ...]) -> None:
    """Add the shipped levels for `entities` to the shipped roles that have none for them.

    Only entities a role has no levels for yet are added: an administrator's own changes to a
    role stay as they are.
    """
    from kundenwert.org.models import SHIPPED_ROLES

    Role = apps.get_model("org", "Role")
    for role in Role.objects.filter(key__in=SHIPPED_ROLES):
        spec = SHIPPED_ROLES[role.key]["permissions"]
        permissions = dict(role.permissions)
        for entity in entities:
            if entity not in permissions and entity in spec:
                permissions[entity] = {action: int(level) for action, level in spec[entity].items()}
        if permissions != role.permissions:
            role.permissions = permissions
            role.save(update_fields=["permissions"])
