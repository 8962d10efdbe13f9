from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "kundenwert.contacts"
    label = "contacts"
    verbose_name = "Contacts"
