"""Reading and checking a stage's runtime settings (throttling, caching, logging and metrics,
per method or for all, `*/*`, and its access-log format) from the config's and `update_stage`'s
short keys. They change at once, without a deploy, as on AWS."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .errors import BadRequestError, shown
from .model import (
    ALL_METHODS,
    AccessLogSettings,
    MethodSettings,
    StageSettings,
    frozen_map,
    parse_route_key,
)

LOGGING_LEVELS = ("OFF", "ERROR", "INFO")
CACHE_CONTROL_STRATEGIES = (
    "FAIL_WITH_403",
    "SUCCEED_WITH_RESPONSE_HEADER",
    "SUCCEED_WITHOUT_RESPONSE_HEADER",
)
CACHE_SIZES = ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")
_CACHING_KEYS = ("enabled", "ttl", "require_authorization", "unauthorized_strategy")


def method_settings_key(key: str) -> str:
    """`*/*`, `"GET /pets"`, or AWS's `"~1pets/GET"` / `"pets/GET"`, as `"GET /pets"`."""
    if key == ALL_METHODS:
        return key
    aws = re.fullmatch(r"(?P<path>.*)/(?P<verb>[A-Z*]+)", key)
    if aws and " " not in key:
        path = aws.group("path").replace("~1", "/")
        if not path.startswith("/"):
            path = "/" + path
        key = f"{aws.group('verb')} {path}"
    method, path = parse_route_key(key)
    return f"{method} {path}"


def method_settings(
    *,
    metrics: bool | None = None,
    logging: str | None = None,
    data_trace: bool | None = None,
    throttling: Mapping[str, Any] | None = None,
    caching: Mapping[str, Any] | None = None,
) -> MethodSettings:
    """Build and check one entry from the short keys a stage uses in the config and in
    `gw.update_stage`: `throttling: {rate, burst}`, `caching: {enabled, ttl, ...}`."""
    values: dict[str, Any] = {}
    if metrics is not None:
        values["metrics_enabled"] = _bool("metrics", metrics)
    if logging is not None:
        level = str(logging).upper()
        if level not in LOGGING_LEVELS:
            raise BadRequestError(
                f"logging: unknown level {shown(logging)}; use one of {', '.join(LOGGING_LEVELS)}"
            )
        values["logging_level"] = level
    if data_trace is not None:
        values["data_trace"] = _bool("data_trace", data_trace)
    if throttling is not None:
        _known("throttling", throttling, ("rate", "burst"))
        if "rate" in throttling:
            values["throttling_rate"] = check_number("throttling.rate", throttling["rate"])
        if "burst" in throttling:
            burst = check_number("throttling.burst", throttling["burst"])
            if burst != int(burst):
                raise BadRequestError(f"throttling.burst must be a whole number, got {burst:g}")
            values["throttling_burst"] = int(burst)
    if caching is not None:
        _known("caching", caching, _CACHING_KEYS)
        if "enabled" in caching:
            values["caching_enabled"] = _bool("caching.enabled", caching["enabled"])
        if "ttl" in caching:
            ttl = check_number("caching.ttl", caching["ttl"], high=3600)
            if ttl != int(ttl):
                raise BadRequestError(f"caching.ttl must be whole seconds, got {ttl:g}")
            values["cache_ttl"] = int(ttl)
        if "require_authorization" in caching:
            values["require_authorization_for_cache_control"] = _bool(
                "caching.require_authorization", caching["require_authorization"]
            )
        if "unauthorized_strategy" in caching:
            strategy = str(caching["unauthorized_strategy"]).upper()
            if strategy not in CACHE_CONTROL_STRATEGIES:
                raise BadRequestError(
                    f"caching.unauthorized_strategy: unknown value "
                    f"{shown(caching['unauthorized_strategy'])}; use one of "
                    f"{', '.join(CACHE_CONTROL_STRATEGIES)}"
                )
            values["unauthorized_cache_control_strategy"] = strategy
    return MethodSettings(**values)


def access_log_settings(format: str | None, destination: str | None) -> AccessLogSettings:
    if format == "" or destination == "":  # recorded: update-stage-access-log-format-empty
        empty = "format" if format == "" else "destination"
        raise BadRequestError(f"Access Log value must not be empty (access_log.{empty})")
    if not isinstance(format, str) or "$context.requestId" not in format:
        raise BadRequestError(
            "access_log.format must include $context.requestId (AWS refuses formats without it)"
        )
    if "\n" in format:
        raise BadRequestError("access_log.format must be one line")
    if not isinstance(destination, str) or not destination:
        raise BadRequestError("access_log.destination must name a log group or its ARN")
    return AccessLogSettings(format, destination)


def _known(what: str, values: Any, allowed: tuple[str, ...]) -> None:
    if not isinstance(values, Mapping):
        raise BadRequestError(
            f"{what}: expected a mapping of {', '.join(allowed)}, got {shown(values)}"
        )
    unknown = [k for k in values if k not in allowed]
    if unknown:
        raise BadRequestError(f"{what}: unknown key {shown(unknown[0])}; use {', '.join(allowed)}")


def _bool(what: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadRequestError(f"{what} must be true or false, got {shown(value)}")
    return value


def check_number(what: str, value: Any, high: float = math.inf) -> float:
    """A limit: a finite number from 0 to `high`, refused with the setting's name."""
    bounds = f"from 0 to {high:g}" if high < math.inf else ">= 0"
    if not _finite(value):
        raise BadRequestError(f"{what} must be a number {bounds}, got {shown(value)}")
    if not 0 <= value <= high:
        raise BadRequestError(f"{what} must be {bounds}, got {value:g}")
    return float(value)


def _finite(value: Any) -> bool:
    """A real number a float holds: not a bool, NaN, an infinity or an int too big."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def updated_settings(
    current: StageSettings,
    *,
    throttling: Mapping[str, Any] | None = None,
    caching: Mapping[str, Any] | None = None,
    logging: str | Mapping[str, Any] | None = None,
    metrics: bool | None = None,
    access_log: Mapping[str, Any] | bool | None = None,
    method_settings: Mapping[str, Mapping[str, Any] | None] | None = None,
) -> StageSettings:
    """The stage's settings after an update written as in the config: stage-level throttling,
    caching, logging and metrics are the `*/*` entry; `method_settings` entries merge into
    theirs (None removes one); `access_log=False` removes the access log."""
    entries = dict(current.method_settings)
    cluster_enabled, cluster_size = current.cache_cluster_enabled, current.cache_cluster_size
    if caching is not None:
        if not isinstance(caching, Mapping):
            raise BadRequestError(f"caching: expected {{enabled, ttl, ...}}, got {shown(caching)}")
        _known("caching", caching, ("enabled", "ttl", "size", *_CACHING_KEYS[2:]))
        caching = dict(caching)
        if "size" in caching:
            cluster_size = str(caching.pop("size"))
            if cluster_size not in CACHE_SIZES:
                raise BadRequestError(
                    f"caching.size: {shown(cluster_size)} is not a cache size; use one of "
                    f"{', '.join(CACHE_SIZES)} (GB)"
                )
        if "enabled" in caching:
            cluster_enabled = _bool("caching.enabled", caching["enabled"])
    stage_level = {"throttling": throttling, "caching": caching, "logging": logging,
                   "metrics": metrics}  # fmt: skip
    if any(value is not None for value in stage_level.values()):
        entries[ALL_METHODS] = _merge(entries.get(ALL_METHODS), _entry("", stage_level))
    for key, values in (method_settings or {}).items():
        name = method_settings_key(key)
        if values is None:
            if name not in entries:
                raise BadRequestError(
                    f"Cannot remove method setting {name} because there is no method setting "
                    f"for this method "
                )
            del entries[name]
        else:
            entries[name] = _merge(entries.get(name), _entry(f"method_settings.{key}.", values))
    log = current.access_log
    if access_log is True:
        raise BadRequestError(
            "access_log: give {format, destination} to log, or False to stop; True says neither"
        )
    if access_log is False:
        log = None
    elif access_log is not None and not isinstance(access_log, Mapping):
        raise BadRequestError(
            f"access_log: expected {{format, destination}}, got {shown(access_log)}"
        )
    elif isinstance(access_log, Mapping):
        _known("access_log", access_log, ("format", "destination"))
        log = access_log_settings(
            access_log.get("format"), access_log.get("destination", "access-logs")
        )
    return StageSettings(frozen_map(entries), cluster_enabled, cluster_size, log)


def _entry(prefix: str, values: Mapping[str, Any]) -> MethodSettings:
    """One entry from short keys; errors name the key with `prefix`."""
    _known(prefix.rstrip(".") or "stage settings", values,
           ("throttling", "caching", "logging", "metrics", "data_trace"))  # fmt: skip
    logging = values.get("logging")
    data_trace = values.get("data_trace")
    if isinstance(logging, Mapping):
        _known(f"{prefix}logging", logging, ("level", "data_trace"))
        data_trace = logging.get("data_trace", data_trace)
        logging = logging.get("level")
    caching = values.get("caching")
    if isinstance(caching, Mapping) and not prefix:  # the stage's: size is the cluster's
        caching = {k: v for k, v in caching.items() if k != "size"}
    try:
        return method_settings(
            metrics=values.get("metrics"),
            logging=logging,
            data_trace=data_trace,
            throttling=values.get("throttling"),
            caching=caching,
        )
    except BadRequestError as e:
        raise BadRequestError(f"{prefix}{e}") from None


def _merge(old: MethodSettings | None, new: MethodSettings) -> MethodSettings:
    return new if old is None else replace(old, **new.given())
