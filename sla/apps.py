from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = "Service levels"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sla import receivers  # noqa: F401
