"""Typed readers for ``DOCPROC_*`` environment settings.

Every reader also honours ``NAME_FILE`` (the value is read from that file), so secrets can come
from mounted files rather than the environment.
"""

from __future__ import annotations

import os
from pathlib import Path


class SettingError(ValueError):
    """An environment setting is present but cannot be understood."""


def _raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name)


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SettingError(f"{name} must be an integer, got {value!r}") from exc


def env_float(name: str, default: float) -> float:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise SettingError(f"{name} must be a number, got {value!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingError(f"{name} must be a boolean, got {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None or value == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    value = _raw(name)
    return Path(value).expanduser().resolve() if value else default


_RATE_PERIODS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


def env_rate(name: str, default: str) -> str:
    """A request rate such as ``30/min`` (per s, min, hour or day); ``off`` for no limit
    (returned as "")."""
    value = env_str(name, default).strip().lower()
    if value == "off":
        return ""
    count, _, period = value.partition("/")
    if not count.isdigit() or period not in _RATE_PERIODS:
        raise SettingError(f"{name} must look like 30/min (or be off), got {value!r}")
    return value
