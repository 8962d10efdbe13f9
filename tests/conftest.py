"""Shared fixtures: users with the shipped roles and teams, tokens, and a real-HTTP API client."""

from __future__ import annotations

import importlib
import os

import pytest
import requests
from django.apps import apps as django_apps
from django.db import connections

from kundenwert.identity.models import User
from kundenwert.identity.services import token_create
from kundenwert.org.models import Role, Team
from kundenwert.org.policies import forget_permissions

IN_CI = os.environ.get("CI", "").lower() == "true"

# Live-server threads must not keep connections open past a test: the test database is dropped
# at the end, and PostgreSQL refuses while sessions linger.
connections.settings["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hash the cast's passwords cheaply: PBKDF2 costs ~0.4 s per user on these machines."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def shipped_role(key: str) -> Role:
    """Return a shipped role, re-creating the set if a transactional test's flush removed it.

    Migration org/0002 creates the roles; a live-server (transactional) test ends with a flush
    that empties every table, so a later transactional test would find none.
    """
    role = Role.objects.filter(key=key).first()
    if role is None:
        migration = importlib.import_module("kundenwert.org.migrations.0002_shipped_roles")
        migration.create_roles(django_apps, None)
        role = Role.objects.get(key=key)
    return role


def make_user(username: str, role: str, teams: tuple[str, ...] = ()) -> User:
    """Create an active user with one shipped role (by key) in the named teams."""
    user = User.objects.create_user(
        username=username, password="demo", email=f"{username}@example.com"
    )
    shipped_role(role).users.add(user)
    for name in teams:
        Team.objects.get_or_create(name=name)[0].members.add(user)
    forget_permissions(user)
    return user


@pytest.fixture
def people(db):
    """The cast: admin; anna and ben sell in different teams; vera reads; mia manages Nord."""
    return {
        "admin": make_user("admin", "administrator"),
        "anna": make_user("anna", "sales", ("Nord",)),
        "carl": make_user("carl", "sales", ("Nord",)),
        "ben": make_user("ben", "sales", ("Süd",)),
        "vera": make_user("vera", "read-only"),
        "mia": make_user("mia", "manager", ("Nord",)),
        "sam": make_user("sam", "service", ("Süd",)),
        "max": make_user("max", "marketing"),
    }


def issue_token(user: User, *, read_only: bool = False) -> str:
    return token_create(actor=None, user=user, is_read_only=read_only)[1]


class Api:
    """A real HTTP client for the API of a live server."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.session = requests.Session()

    def request(self, method: str, path: str, *, token: str | None = None, headers=None, **kwargs):
        merged = dict(headers or {})
        if token:
            merged["Authorization"] = f"Bearer {token}"
        return self.session.request(method, self.base + path, headers=merged, timeout=30, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def api(live_server) -> Api:
    return Api(live_server.url)
