"""API Gateway's mapping-template language: Velocity, run by airspeed-ext (the VTL engine made
for AWS's dialect), with the variables API Gateway gives a template — `$input`, `$util` — and
the Java behaviour templates rely on: maps print as `{a=1, b=2}`, strings have Java's methods,
JSONPath is Jayway's (via jsonpath-ng)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import airspeed
from airspeed import operators
from jsonpath_ng import JSONPath
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

MAX_TEMPLATE_CHARS = 300 * 1024  # API Gateway's limit on one mapping template
_INDEFINITE = re.compile(r"\.\.|\*|\[\s*\?|\[[^\]]*[:,][^\]]*\]")


class TemplateFailure(Exception):
    """A template that failed while it ran: API Gateway answers 500 and logs the reason."""


class OnceMap(dict[str, Any]):
    """An override map (`$context.requestOverride.header`, …): AWS allows each name to be set
    once; a second assignment fails the request with a 5XX."""

    def __init__(self) -> None:
        super().__init__()
        self.repeated: list[str] = []

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self:
            self.repeated.append(key)
        super().__setitem__(key, value)

    def put(self, key: str, value: Any) -> Any:
        previous = self.get(key)
        self[key] = value
        return previous

    def __str__(self) -> str:
        return java_text(self)


class VtlMap(dict[str, Any]):
    """A map a template reads (`$input.params()`, `$context`): it prints as Java prints a map."""

    def __str__(self) -> str:
        return java_text(self)


class JsonMap(VtlMap):
    """A JSON object from `$input.path` or `$util.parseJson`: a Java map whose nested lists
    print as JSON, as API Gateway prints them."""

    def __getattr__(self, name: str) -> Any:  # `$util.parseJson($s).field`
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class JsonList(list[Any]):
    """A JSON array from `$input.path` or `$util.parseJson`: prints as compact JSON."""

    def __str__(self) -> str:
        return json.dumps(self, separators=(",", ":"), ensure_ascii=False)


_AIRSPEED_TEXT = operators.value_to_string


def java_text(value: Any) -> str:
    """A value as Java's `toString` writes it inside a map: `{a=1, b={c=2}}`, lists as JSON."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(_AIRSPEED_TEXT(value))


def _printed(value: Any) -> str:
    """A value printed by a template: maps as Java prints them (a map literal too), lists
    by their own rule (JSON arrays print as JSON, `[a, b]` otherwise, as Java does)."""
    if isinstance(value, dict) and type(value).__str__ is dict.__str__:
        return java_text(value)
    if type(value) is list:
        return "[" + ", ".join(_printed(v) for v in value) + "]"
    return str(_AIRSPEED_TEXT(value))


def _equal(a: Any, b: Any) -> bool:
    """`==` as API Gateway's Velocity compares: null equals the empty string (recorded:
    test_input_path_template_formatting), values of different kinds compare as text."""
    if a is None or b is None:
        return (a if a is not None else "") == (b if b is not None else "")
    numbers = (int, float)
    if type(a) is not type(b) and not (isinstance(a, numbers) and isinstance(b, numbers)):
        return _printed(a) == _printed(b)
    return bool(a == b)


def vtl_value(value: Any) -> Any:
    """Parsed JSON as a template sees it: objects are JsonMaps, arrays JsonLists."""
    if isinstance(value, dict):
        return JsonMap({k: vtl_value(v) for k, v in value.items()})
    if isinstance(value, list):
        return JsonList(vtl_value(v) for v in value)
    return value


def _replace_all(text: str, pattern: str, replacement: str) -> str:
    """Java's replaceAll: `$1` in the replacement is a group."""
    python_replacement = re.sub(r"\\(.)|\$(\d+)", _java_group, replacement)
    return re.sub(pattern, python_replacement, text)


def _java_group(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        return match.group(1).replace("\\", "\\\\")
    return f"\\g<{match.group(2)}>"


def _dialect() -> None:
    """What airspeed-ext lacks of API Gateway's Velocity, added where airspeed keeps it: Java
    methods on values (its registry of extra methods; names Python's own types already answer,
    such as split and replace, stay Python's), `==`/`!=` with null equal to "" (its operator
    table), and Java's printing of maps and lists (its value-to-text function)."""
    operators.BinaryOperator.OPERATORS.update(
        {"==": _equal, "eq": _equal, "!=": lambda a, b: not _equal(a, b),
         "ne": lambda a, b: not _equal(a, b)}
    )  # fmt: skip
    operators.value_to_string = _printed
    strings = operators.__additional_methods__.setdefault(str, {})
    strings.update(
        {
            "replaceAll": _replace_all,
            "replaceFirst": lambda s, p, r: re.sub(p, r, s, count=1),
            "toLowerCase": lambda s: s.lower(),
            "toUpperCase": lambda s: s.upper(),
            "trim": lambda s: s.strip(),
            "endsWith": lambda s, suffix: s.endswith(suffix),
            "equals": lambda s, other: s == other,
            "equalsIgnoreCase": lambda s, other: (
                isinstance(other, str) and s.lower() == other.lower()
            ),
            "isEmpty": lambda s: not s,
            "lastIndexOf": lambda s, sub: s.rfind(sub),
            "indexOf": lambda s, sub: s.find(sub),
            "charAt": lambda s, i: s[i],
            "toString": lambda s: s,
        }
    )
    maps = operators.__additional_methods__[dict]
    maps.setdefault("containsKey", lambda m, k: k in m)
    maps.setdefault("isEmpty", lambda m: not m)
    maps.setdefault("size", len)
    maps.setdefault("entrySet", lambda m: [VtlMap(key=k, value=v) for k, v in m.items()])
    for cls in (OnceMap, VtlMap, JsonMap):
        operators.__additional_methods__[cls] = maps
    operators.__additional_methods__[JsonList] = operators.__additional_methods__[list]


_dialect()


@lru_cache(maxsize=2048)
def compiled(text: str) -> airspeed.Template:
    """A template parsed once per process (a syntax error raises TemplateSyntaxError)."""
    template = airspeed.Template(text)
    template.ensure_compiled()
    return template


def syntax_error(text: str) -> str | None:
    """Why `text` is not a template API Gateway would run, or None."""
    if len(text) > MAX_TEMPLATE_CHARS:
        return f"the template is {len(text)} characters; API Gateway's limit is 300 KB"
    try:
        compiled(text)
    except airspeed.TemplateSyntaxError as e:
        return f"the template does not parse: {e}"
    except RecursionError:
        return "the template nests too deeply to parse"
    return None


def render(text: str, variables: Mapping[str, Any]) -> str:
    """Run a template; a failure inside it (a bad JSONPath, parseJson of non-JSON, …) is a
    TemplateFailure naming what failed."""
    try:
        return str(compiled(text).merge(dict(variables)))
    except airspeed.TemplateExecutionError as e:
        cause = e.__cause__ or e.__context__
        raise TemplateFailure(f"{type(cause).__name__ if cause else 'Error'}: {e}") from None
    except (airspeed.TemplateError, RecursionError, ValueError, TypeError) as e:
        raise TemplateFailure(f"{type(e).__name__}: {e}") from None


@lru_cache(maxsize=1024)
def jsonpath(path: str) -> tuple[JSONPath, bool]:
    """A JSONPath, parsed once, and whether it is definite (one value, not a list)."""
    try:
        expression = parse_jsonpath(path)
    except (JsonPathLexerError, JsonPathParserError, Exception) as e:
        raise TemplateFailure(f"Invalid JSONPath {path!r}: {e}") from None
    return expression, _INDEFINITE.search(path) is None


def select(data: Any, path: str) -> Any:
    """Jayway's answer for `path` over `data`: the value (None when absent) for a definite
    path, the list of matches otherwise."""
    expression, definite = jsonpath(path.strip() or "$")
    found = [match.value for match in expression.find(data)]
    if definite:
        return found[0] if found else None
    return found


def parse_json(text: str) -> Any:
    """The body as JSON; an empty body is `{}`, as API Gateway reads it."""
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except ValueError as e:
        raise TemplateFailure(f"Invalid JSON in the payload: {e}") from None


class Input:
    """`$input`: the payload (the request body, or the integration's answer) and the
    request's parameters."""

    def __init__(self, body: str, params: Mapping[str, Mapping[str, str]]) -> None:
        self.body = body
        self._params = VtlMap({k: VtlMap(v) for k, v in params.items()})
        self._data: Any = None
        self._parsed = False

    def _json(self) -> Any:
        if not self._parsed:
            self._data, self._parsed = parse_json(self.body), True
        return self._data

    def json(self, path: str = "$") -> str:
        """The JSONPath's match as JSON text (a string keeps its quotes)."""
        value = select(self._json(), path)
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def path(self, path: str = "$") -> Any:
        """The JSONPath's match as an object a template can use (`.size()`, `.field`)."""
        return vtl_value(select(self._json(), path))

    def params(self, name: str | None = None) -> Any:
        """All parameters (`path`, `querystring`, `header`), or one by name, searched in
        path, query string, then header; a missing one is empty."""
        if name is None:
            return self._params
        for where in ("path", "querystring", "header"):
            found = self._params.get(where, {}).get(name)
            if found is not None:
                return found
        return ""

    def __str__(self) -> str:
        return self.body


class Util:
    """`$util`, as API Gateway defines it (UTF-8 throughout)."""

    @staticmethod
    def escapeJavaScript(value: Any) -> str:  # noqa: N802 (the template's name)
        """JavaScript string escaping as Java's StringEscapeUtils does it: `'` becomes `\\'`
        (invalid in JSON, as on AWS), `/` becomes `\\/`, non-ASCII becomes `\\uXXXX`."""
        return "".join(_escape_char(c) for c in _text(value))

    @staticmethod
    def parseJson(text: Any) -> Any:  # noqa: N802
        if not isinstance(text, str):
            raise TemplateFailure(f"parseJson takes a string, got {type(text).__name__}")
        try:
            return vtl_value(json.loads(text))
        except ValueError as e:
            raise TemplateFailure(f"parseJson: invalid JSON: {e}") from None

    @staticmethod
    def urlEncode(text: Any) -> str:  # noqa: N802
        """Form encoding (a space is `+`); null is empty (recorded)."""
        return quote_plus(_text(text), safe="*")

    @staticmethod
    def urlDecode(text: Any) -> str:  # noqa: N802
        return unquote_plus(_text(text))

    @staticmethod
    def base64Encode(text: Any) -> str:  # noqa: N802
        return base64.b64encode(_text(text).encode("utf-8")).decode("ascii")

    @staticmethod
    def base64Decode(text: Any) -> str:  # noqa: N802
        try:
            return base64.b64decode(_text(text), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError) as e:
            raise TemplateFailure(f"base64Decode: not base64: {e}") from None


def _text(value: Any) -> str:
    """A $util argument as text: null is empty, other values print as templates print them."""
    if value is None:
        return ""
    return value if isinstance(value, str) else _printed(value)


_ESCAPES = {
    "'": "\\'", '"': '\\"', "\\": "\\\\", "/": "\\/",
    "\b": "\\b", "\n": "\\n", "\t": "\\t", "\f": "\\f", "\r": "\\r",
}  # fmt: skip


def _escape_char(c: str) -> str:
    escaped = _ESCAPES.get(c)
    if escaped is not None:
        return escaped
    code = ord(c)
    if code < 32:
        return f"\\u{code:04X}"
    if code > 0x7F:
        if code > 0xFFFF:  # Java strings hold UTF-16: a surrogate pair
            code -= 0x10000
            return f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}"
        return f"\\u{code:04X}"
    return c


UTIL = Util()


def params_of(
    path: Mapping[str, str], query: Iterable[tuple[str, str]], headers: Iterable[tuple[str, str]]
) -> dict[str, dict[str, str]]:
    """`$input.params()`'s three maps; a repeated query parameter or header shows its last
    value."""
    return {"path": dict(path), "querystring": dict(query), "header": dict(headers)}
