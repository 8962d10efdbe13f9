from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "kundenwert.sales"
    label = "sales"
    verbose_name = "Sales"
