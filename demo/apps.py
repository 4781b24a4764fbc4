from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Development data only: the demo organisation (`seed_demo`) and the benchmark load (`seed_volume`).

    The top of the dependency direction (docs/architecture.md): it may use every domain app, none may import it.
    Installed everywhere so bin/run, bench/ and the tests find its commands; never run them on a production database.
    """

    name = "demo"
