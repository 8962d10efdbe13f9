"""Events identity publishes; higher apps (the audit trail) subscribe in their AppConfig.

Receivers run synchronously, inside the sending service's transaction, so an audit row is
written or rolled back together with the change it describes.
"""

from django.dispatch import Signal

# kwargs: actor, token
token_issued = Signal()
# kwargs: actor, token
token_revoked = Signal()
# kwargs: actor, user, before, after (dicts of the changed settings: language, time_zone)
user_settings_changed = Signal()
# kwargs: actor, user (the password was changed; the hash is never passed on)
password_changed = Signal()
