"""The docproc Django app. Nothing heavy is loaded here: a model or thread pool loaded before
Celery forks its prefork children deadlocks them."""

from django.apps import AppConfig


class DocprocConfig(AppConfig):
    name = "docproc"
    verbose_name = "docproc"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connect the receivers of the sign-in audit and of the session records.
        from docproc.web import auth_audit, session_activity  # noqa: F401
