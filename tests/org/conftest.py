import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hash the cast's passwords cheaply: PBKDF2 costs ~0.4 s per user on these machines."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
