"""The docproc Django app. Nothing heavy is loaded here: a model or thread pool loaded before
Celery forks its prefork children deadlocks them."""

from django.apps import AppConfig


class DocprocConfig(AppConfig):
    name = "docproc"
    verbose_name = "docproc"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from docproc.web import auth_audit  # noqa: F401  (connects the sign-in audit receivers)
