from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "kundenwert.catalog"
    label = "catalog"
    verbose_name = "Catalogue"
