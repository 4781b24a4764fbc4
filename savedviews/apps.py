from django.apps import AppConfig


class SavedviewsConfig(AppConfig):
    name = "savedviews"
    verbose_name = "Saved views"
    default_auto_field = "django.db.models.BigAutoField"
