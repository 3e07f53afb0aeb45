"""Celery workers for docproc: ``celery -A workers worker`` processes every queue."""

from workers.app import app

__all__ = ["app"]
