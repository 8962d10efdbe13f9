from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "kundenwert.orders"
    label = "orders"
    verbose_name = "Orders and invoices"
