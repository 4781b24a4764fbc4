from django.apps import AppConfig


class TicketsiteConfig(AppConfig):
    name = "ticketsite"
    verbose_name = "Ticket site"

    def ready(self) -> None:
        from ticketsite import checks  # noqa: F401  (registers the deployment checks)
