"""Events the orders app publishes for higher layers (survey invitations, the value engine).

Sent only after the transaction that caused them has committed, so a receiver never sees a
state that is later rolled back.
"""

from __future__ import annotations

from django.dispatch import Signal

# An order was delivered. Keyword arguments: order_id, organization_id, person_id, owner_id,
# delivered_at (aware datetime). Sent with sender=Order.
order_delivered = Signal()

# An invoice or credit note was issued. Keyword arguments: invoice_id, kind ("invoice" or
# "credit_note"), organization_id, person_id, issue_date, currency, net_total (Decimal, negative
# for a credit note). Sent with sender=Invoice.
invoice_issued = Signal()

# A payment was recorded. Keyword arguments: payment_id, invoice_id, organization_id, person_id,
# amount (Decimal), currency, paid_on (date). Sent with sender=Payment.
payment_recorded = Signal()
