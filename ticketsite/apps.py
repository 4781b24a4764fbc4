from django.apps import AppConfig


class TicketsiteConfig(AppConfig):
    name = "ticketsite"
    verbose_name = "Ticket site"
