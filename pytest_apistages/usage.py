"""API keys and usage plans: which callers may use a key-protected method on a stage, and the
throttle and quota each key gets there."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import BadRequestError, NotFoundError, refused_at_the_caller, shown
from .model import ALL_METHODS, frozen_map
from .settings import check_number, method_settings_key

MIN_KEY_LENGTH = 20
MAX_KEY_LENGTH = 128
QUOTA_PERIODS = ("DAY", "WEEK", "MONTH")
_THROTTLE_NAMES = {"rateLimit": "rate", "burstLimit": "burst"}


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    value: str
    enabled: bool = True


@dataclass(frozen=True)
class Throttle:
    rate: float
    burst: int


@dataclass(frozen=True)
class Quota:
    limit: int
    period: str


@dataclass(frozen=True)
class UsagePlan:
    """Binds keys to stages, with a throttle and a quota per key (across the plan's stages),
    and per-method throttles per stage (AWS's `apiStages[].throttle`)."""

    id: str
    name: str
    stages: tuple[str, ...]
    keys: tuple[str, ...]  # key names
    throttle: Throttle | None = None
    quota: Quota | None = None
    method_throttles: Mapping[str, Throttle] = field(default_factory=frozen_map)  # every stage
    stage_throttles: Mapping[str, Mapping[str, Throttle]] = field(default_factory=frozen_map)

    def method_throttle(self, stage: str, route_key: str) -> Throttle | None:
        """The stage's own limit for the method, else the one given for all the plan's stages."""
        own = self.stage_throttles.get(stage, {}).get(route_key)
        return own if own is not None else self.method_throttles.get(route_key)


@refused_at_the_caller
class ApiKeys:
    """The account's API keys, found by the value a caller sends in `x-api-key`."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}

    def create(self, name: str, value: str | None = None, *, enabled: bool = True) -> ApiKey:
        if name in self._keys:
            raise BadRequestError(f"API key {shown(name)} already exists")
        # An empty value gets a generated key, as on AWS (recorded: create-api-key-empty-value).
        value = value if value else _derived(f"value:{name}", 40)
        if not isinstance(value, str):
            raise BadRequestError(f"API key {shown(name)}: the value must be a string")
        if len(value) < MIN_KEY_LENGTH:
            raise BadRequestError(
                f"API Key value should be at least {MIN_KEY_LENGTH} characters (key {shown(name)} "
                f"has {len(value)})"
            )
        if len(value) > MAX_KEY_LENGTH:
            raise BadRequestError(
                f"API Key value exceeds maximum size of {MAX_KEY_LENGTH} characters (key "
                f"{shown(name)} has {len(value)})"
            )
        if any(k.value == value for k in self._keys.values()):
            raise BadRequestError(f"API key {shown(name)}: another key already has this value")
        key = ApiKey(_derived(f"id:{name}", 10), name, value, enabled)
        self._keys[name] = key
        return key

    def update(self, name: str, *, enabled: bool) -> ApiKey:
        key = self.get(name)
        self._keys[name] = updated = ApiKey(key.id, key.name, key.value, enabled)
        return updated

    def get(self, name: str) -> ApiKey:
        try:
            return self._keys[name]
        except KeyError:
            raise NotFoundError(
                f"Invalid API Key identifier specified: {shown(name)} "
                f"(keys: {', '.join(self._keys) or 'none'})"
            ) from None

    def by_value(self, value: str) -> ApiKey | None:
        return next((k for k in self._keys.values() if k.value == value), None)

    def all(self) -> list[ApiKey]:
        return list(self._keys.values())


@refused_at_the_caller
class UsagePlans:
    """Usage plans, checked against the keys they name and the rule that a key belongs to at
    most one plan per stage."""

    def __init__(self, keys: ApiKeys, stages: Callable[[], Iterable[str]] | None = None) -> None:
        self._keys = keys
        self._stages = stages  # the gateway's stage names, when there is a gateway
        self._plans: dict[str, UsagePlan] = {}

    def create(
        self,
        name: str,
        *,
        stages: Iterable[str | Mapping[str, Any]],
        keys: Iterable[str] = (),
        throttle: Mapping[str, Any] | None = None,
        quota: Mapping[str, Any] | None = None,
        method_throttles: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> UsagePlan:
        """`stages` items are stage names or AWS's api-stage shape,
        `{"stage": "prod", "throttle": {"/pets/GET": {"rateLimit": 5, "burstLimit": 10}}}`;
        `method_throttles` (same keys) applies to every stage of the plan."""
        if name in self._plans:
            raise BadRequestError(f"Usage plan {shown(name)} already exists")
        stage_names, stage_throttles = [], {}
        for index, item in enumerate(stages):
            stage, limits = _api_stage(f"usage plan {name}: stages[{index}]", item)
            if stage in stage_names:
                raise BadRequestError(
                    f"usage plan {name}: stages[{index}]: stage {shown(stage)} is listed twice"
                )
            stage_names.append(stage)
            if limits:
                stage_throttles[stage] = limits
        plan = UsagePlan(
            _derived(f"plan:{name}", 6),
            name,
            tuple(stage_names),
            tuple(keys),
            throttle_from(f"usage plan {name}: throttle", throttle) if throttle else None,
            _quota(name, quota) if quota else None,
            _method_throttles(f"usage plan {name}: method_throttles", method_throttles or {}),
            frozen_map(stage_throttles),
        )
        known = set(self._stages()) if self._stages is not None else None
        for stage in plan.stages:
            if known is not None and stage not in known:
                raise BadRequestError(
                    f"Invalid API Stage specified: usage plan {shown(name)} names stage "
                    f"{shown(stage)} "
                    f"(stages: {', '.join(sorted(known)) or 'none'})"
                )
        for key in plan.keys:
            self._keys.get(key)
            for other in self._plans.values():
                shared = set(other.stages) & set(plan.stages)
                if key in other.keys and shared:
                    raise BadRequestError(
                        f"Usage plan {shown(name)}: API key {shown(key)} is already in plan "
                        f"{shown(other.name)} for stage {shown(sorted(shared)[0])}; a key may "
                        "be in one "
                        f"plan per stage"
                    )
        self._plans[name] = plan
        return plan

    def for_key(self, key: ApiKey, stage: str) -> UsagePlan | None:
        """The plan that lets `key` call `stage`, if any."""
        for plan in self._plans.values():
            if key.name in plan.keys and stage in plan.stages:
                return plan
        return None

    def get(self, name: str) -> UsagePlan:
        try:
            return self._plans[name]
        except KeyError:
            raise NotFoundError(
                f"Invalid Usage Plan ID specified: {shown(name)} "
                f"(plans: {', '.join(self._plans) or 'none'})"
            ) from None

    def all(self) -> list[UsagePlan]:
        return list(self._plans.values())


def throttle_from(what: str, values: Mapping[str, Any]) -> Throttle:
    """`{rate, burst}`, or AWS's `{rateLimit, burstLimit}`."""
    values = {_THROTTLE_NAMES.get(k, k): v for k, v in values.items()}
    unknown = [k for k in values if k not in ("rate", "burst")]
    if unknown or "rate" not in values or "burst" not in values:
        raise BadRequestError(
            f"{what} takes rate and burst (or rateLimit and burstLimit), got {shown(dict(values))}"
        )
    rate = check_number(f"{what}.rate", values["rate"])
    burst = check_number(f"{what}.burst", values["burst"])
    if burst != int(burst):
        raise BadRequestError(f"{what}.burst must be a whole number, got {burst:g}")
    return Throttle(float(rate), int(burst))


def _quota(plan: str, values: Mapping[str, Any]) -> Quota:
    unknown = [k for k in values if k not in ("limit", "period")]
    if unknown:
        raise BadRequestError(f"usage plan {plan}: quota: unknown key {shown(unknown[0])}")
    limit, period = values.get("limit"), str(values.get("period", "")).upper()
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise BadRequestError(
            f"usage plan {plan}: quota.limit must be a whole number >= 0, got {shown(limit)}"
        )
    if period not in QUOTA_PERIODS:
        raise BadRequestError(
            f"usage plan {plan}: quota.period must be one of {', '.join(QUOTA_PERIODS)}, "
            f"got {shown(values.get('period'))}"
        )
    return Quota(limit, period)


def _api_stage(what: str, item: Any) -> tuple[str, dict[str, Throttle]]:
    if isinstance(item, str):
        return item, {}
    if not isinstance(item, Mapping) or not isinstance(item.get("stage"), str):
        raise BadRequestError(
            f"{what}: expected a stage name or {{stage: NAME, throttle: {{...}}}}, got "
            f"{shown(item)}"
        )
    unknown = [k for k in item if k not in ("stage", "throttle")]
    if unknown:
        raise BadRequestError(
            f"{what}: unknown key {shown(unknown[0])} (known keys: stage, throttle)"
        )
    return item["stage"], _method_throttles(f"{what}.throttle", item.get("throttle") or {})


def _method_throttles(what: str, values: Mapping[str, Any]) -> dict[str, Throttle]:
    """Keyed `"GET /pets"` or AWS's `"/pets/GET"` (root: `"//GET"`), as `"GET /pets"`."""
    if not isinstance(values, Mapping):
        raise BadRequestError(
            f"{what}: expected a mapping of methods to limits, got {shown(values)}"
        )
    limits = {}
    for key, limit in values.items():
        if key == ALL_METHODS:
            raise BadRequestError(
                f"{what}: a method throttle names one method ('GET /pets' or '/pets/GET'); "
                f"for all methods use the plan's throttle"
            )
        if not isinstance(limit, Mapping):
            raise BadRequestError(f"{what}.{key}: expected {{rate, burst}}, got {shown(limit)}")
        limits[method_settings_key(key)] = throttle_from(f"{what}.{key}", limit)
    return limits


def _derived(seed: str, length: int) -> str:
    """Stable ids and values, so two gateways built alike have the same keys."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    digest = hashlib.sha256(seed.encode()).digest() * 2
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])
