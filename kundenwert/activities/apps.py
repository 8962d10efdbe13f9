from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "kundenwert.activities"
    label = "activities"
    verbose_name = "Activities"
