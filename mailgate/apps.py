from django.apps import AppConfig


class MailgateConfig(AppConfig):
    name = "mailgate"
    verbose_name = "Mail in"
    default_auto_field = "django.db.models.BigAutoField"
