"""The docproc Django app. Nothing heavy is loaded here (see STACK.md: prefork deadlocks)."""

from django.apps import AppConfig


class DocprocConfig(AppConfig):
    name = "docproc"
    verbose_name = "docproc"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from docproc.web import auth_audit  # noqa: F401  (connects the sign-in audit receivers)
