"""Timestamps as the API writes them, for tests that compare whole response bodies."""

from __future__ import annotations

from datetime import datetime

from rest_framework import serializers


def iso(moment: datetime | None) -> str | None:
    """``moment`` as a DRF ``DateTimeField`` renders it (None stays None)."""
    return serializers.DateTimeField().to_representation(moment) if moment else None
