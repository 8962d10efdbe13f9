"""Events the sales app publishes for higher layers (the value engine subscribes later).

Sent only after the transaction that caused them has committed, so a receiver never sees a
state that is later rolled back.
"""

from __future__ import annotations

from django.dispatch import Signal

# A deal entered a won stage. Keyword arguments: deal_id, organization_id, person_id,
# amount (Decimal), currency (ISO 4217), won_at (aware datetime). Sent with sender=Deal.
deal_won = Signal()
