"""pytest_apistages.vtl on its own: what API Gateway's mapping templates print for `$input`,
`$util`, Java maps and strings. Each test cites what real AWS answered (LocalStack's AWS-validated
snapshots, tests/aws/services/apigateway) or the AWS documentation
(the developer guide page, [DG:page])."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_apistages import vtl

JS_FIX = r"""$util.escapeJavaScript($s).replaceAll("\\'","'")"""


def render(
    template: str,
    body: str = "",
    *,
    path: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    header: dict[str, str] | None = None,
    **extra: Any,
) -> str:
    params = vtl.params_of(path or {}, (query or {}).items(), (header or {}).items())
    return vtl.render(template, {"input": vtl.Input(body, params), "util": vtl.UTIL, **extra})


# -- $input.body -------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ['{"some": "value"}', "some raw data"])
def test_input_body_is_the_raw_text_even_when_not_json(body: str) -> None:
    """test_apigateway_integrations.snapshot.json, test_input_body_formatting:
    `#set($result = $input.body)$result` gives the raw body; invalid JSON is no error, and
    `$input.body.testAccess` renders ""."""
    assert render("#set($result = $input.body)$result", body) == body
    assert render("MessageBody=$input.body", body) == f"MessageBody={body}"
    assert render("[$input.body.testAccess]", body) == "[]"  # a property of a string: null


# -- $input.json / $input.path -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("$.a", '{"a": "x"}', '"x"'),
        ("$.a", '{"a": {"b": [1, 2]}}', '{"b":[1,2]}'),
        ("$", '{"a": 1, "b": true}', '{"a":1,"b":true}'),
        ("$.items[*].n", '{"items": [{"n": 1}, {"n": 2}]}', "[1,2]"),
    ],
)
def test_input_json_gives_json_text(path: str, body: str, expected: str) -> None:
    """[DG:api-gateway-mapping-template-reference] (mapping-templates.md §2.1): `$input.json`
    returns JSON text, a string with its quotes; Jayway JSONPath (`[*]` gives a list)."""
    assert render(f"$input.json('{path}')", body) == expected


BIG = {"bigger": "dict", "to": "test", "with": "separators"}


@pytest.mark.parametrize(
    ("template", "json_value", "expected"),
    [
        ("$result", {"foo": "bar"}, "{foo=bar}"),
        ("$result", [{"foo": "bar"}], '[{"foo":"bar"}]'),
        ("$result", {"foo": [{"nested": "bar"}]}, '{foo=[{"nested":"bar"}]}'),
        ("$result", BIG, "{bigger=dict, to=test, with=separators}"),
        ("$result.nested", {"nested": {"foo": "bar"}}, "{foo=bar}"),
        ("$result.nested", {"nested": [{"foo": "bar"}]}, '[{"foo":"bar"}]'),
        ("$result[0]", [{"foo": "bar"}], "{foo=bar}"),
        ("$result[0]", [[{"foo": "bar"}]], '[{"foo":"bar"}]'),
        ("$result.toString()", {"foo": "bar"}, "{foo=bar}"),
        ("$result.toString()", {"list": [{"foo": "bar"}]}, '{list=[{"foo":"bar"}]}'),
    ],
)
def test_input_path_prints_maps_java_style_and_lists_as_json(
    template: str, json_value: Any, expected: str
) -> None:
    """test_apigateway_integrations.snapshot.json, test_input_path_template_formatting
    : maps print `{k=v, k2=v2}`, lists compact JSON, even nested in a map."""
    body = json.dumps({"json": json_value})
    assert render('#set($result = $input.path("$.json"))' + template, body) == expected


NULL_PROBE = (
    '{"body": $result, "nested": $result.nested, "isNull": #if( $result == $null )"true"'
    '#else"false"#end, "isEmptyString": #if( $result == "" )"true"#else"false"#end}'
)


NULL = '{"body": , "nested": , "isNull": "true", "isEmptyString": "true"}'
EMPTY_LIST = '{"body": [], "nested": , "isNull": "false", "isEmptyString": "false"}'


@pytest.mark.parametrize(("path", "body", "expected"), [
    ("$.nonExisting", "", NULL),
    ("$.json.listValue", '{"json": {"listValue": []}}', EMPTY_LIST),
    ("$.json.listValue", '{"json": {"listValue": null}}', NULL),
])  # fmt: skip
def test_null_renders_empty_and_equals_the_empty_string(
    path: str, body: str, expected: str
) -> None:
    """test_input_path_template_formatting: a null reference renders "" and
    `null == ""` is true."""
    assert render(f'#set($result = $input.path("{path}")){NULL_PROBE}', body) == expected


def test_an_undefined_reference_is_empty_and_not_unequal_to_empty() -> None:
    """test_apigateway_to_kinesis[PutRecords]: `$foo.bar.stuff != ''` is
    false; test_invoking_canary_deployment: an undefined `"$x"` renders `""`."""
    template = '"$foo.bar.stuff" #if($foo.bar.stuff != "")set#{else}unset#end'
    assert render(template) == '"" unset'


def test_input_path_values_have_java_methods() -> None:
    """test_apigateway_to_kinesis[PutRecords]: `.size()` on a list, a
    `[0..$max]` range, `$input.path("$.records[${idx}]")`, `.length()` on a string."""
    template = (
        "#set($n = $input.path('$.records').size())#set($max = $n - 1)"
        '#foreach($i in [0..$max])$input.path("$.records[${i}]").data.length(),#end$n'
    )
    body = '{"records": [{"data": "abc"}, {"data": "hello"}]}'
    assert render(template, body) == "3,5,2"


def test_booleans_render_as_true_and_false() -> None:
    """LS-unit test_render_valid_booleans_in_json: `true`/`false`, never
    Python's `True`."""
    body = '{"t": true, "f": false}'
    template = "$input.path('$.t') $input.path('$.f') $input.json('$.t') $input.path('$') "
    assert (
        render(template + "#set($b = 1 == 1)$b", body) == "true false true {t=true, f=false} true"
    )


# -- $input.params -----------------------------------------------------------------------------


def test_input_params_prints_as_a_java_map() -> None:
    """[GH serverless/serverless#1014]: `$input.params().header` prints
    `{k=v, …}`, not JSON."""
    rendered = render(
        "$input.params().header|$input.params()",
        path={"id": "7"},
        query={"q": "x"},
        header={"A": "1", "B": "2"},
    )
    assert rendered == "{A=1, B=2}|{path={id=7}, querystring={q=x}, header={A=1, B=2}}"


def test_input_params_by_name_searches_path_then_query_then_header() -> None:
    """[DG:api-gateway-mapping-template-reference] (mapping-templates.md §2.1): path, query
    string, then header; a missing name is ""."""
    rendered = render(
        "$input.params('id')/$input.params('q')/$input.params('h')/[$input.params('none')]",
        path={"id": "path"},
        query={"id": "query", "q": "query"},
        header={"id": "header", "q": "header", "h": "header"},
    )
    assert rendered == "path/query/header/[]"


def test_a_map_literal_prints_as_java_prints_it() -> None:
    """[DG:api-gateway-mapping-template-reference] (a map prints `{k=v}` Java map
    text): a Velocity map literal is a Java LinkedHashMap."""
    template = '#set($m = {"a": 1})#set($ignored = $m.put("b", "x"))$m'
    assert render(template) == "{a=1, b=x}"


# -- $util -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("it's", "it\\'s"), ("a/b", "a\\/b"), ('say "hi"\\', 'say \\"hi\\"\\\\'),
    ("line\nnext\ttab\r", "line\\nnext\\ttab\\r"), ("\u00fc\u00e9", "\\u00FC\\u00E9"),
    ("\U0001f600", "\\uD83D\\uDE00"), ("\x01", "\\u0001"),
])  # fmt: skip
def test_escape_javascript_follows_java_string_escape_utils(text: str, expected: str) -> None:
    """[DG:api-gateway-mapping-template-reference], [GH bustle/shep#52] (mapping-templates.md
    §2.2): `'` becomes `\\'`, `/` becomes `\\/`, non-ASCII `\\uXXXX` in upper case."""
    assert render("$util.escapeJavaScript($s)", s=text) == expected


def test_the_documented_replace_all_fix_makes_it_valid_json() -> None:
    """[DG:api-gateway-mapping-template-reference], [GH aws/aws-cdk#11335]:
    `.replaceAll("\\\\'","'")` after escapeJavaScript."""
    rendered = render('{"v": "' + JS_FIX + '"}', s='it\'s a/b "q" \u00e9')
    assert rendered == '{"v": "it\'s a\\/b \\"q\\" \\u00E9"}'
    assert json.loads(rendered) == {"v": 'it\'s a/b "q" \u00e9'}


@given(st.text())
def test_escaped_text_with_the_fix_is_a_json_string_of_the_original(text: str) -> None:
    """mapping-templates.md §2.1-2.2: escapeJavaScript is the DG's way to put input inside a
    JSON string; with `\\'` replaced by `'` it always parses back to the input."""
    assert json.loads('"' + render(JS_FIX, s=text) + '"') == text


def test_url_encode_is_form_style_and_null_is_empty() -> None:
    """test_input_body_formatting: space is `+`, `$util.urlEncode` of a null
    gives ""; urlDecode reads the same form encoding (mapping-templates.md §2.2)."""
    assert render("$util.urlDecode('a+b%26c%3Dd%C3%A9')") == "a b&c=d\u00e9"
    template = (
        "EncodedBody=$util.urlEncode($input.body)"
        "&EncodedBodyAccess=$util.urlEncode($input.body.testAccess)"
    )
    assert render(template, '{"some": "value"}') == (
        "EncodedBody=%7B%22some%22%3A+%22value%22%7D&EncodedBodyAccess="
    )
    assert render(template, "some raw data") == "EncodedBody=some+raw+data&EncodedBodyAccess="


@given(st.text())
def test_url_decode_undoes_url_encode(text: str) -> None:
    """mapping-templates.md §2.2: urlEncode/urlDecode are inverse form-encodings (UTF-8)."""
    assert render("$util.urlDecode($util.urlEncode($s))", s=text) == text


def test_base64_both_ways_in_utf8() -> None:
    """mapping-templates.md §2.2 ([DG:…template-reference], UTF-8); test_integration_mock_with_
    request_overrides_in_response_template decodes a path this way."""
    encoded = base64.b64encode(b'{"message": "path1"}').decode()
    assert render("$util.base64Encode($s)", s="h\u00e9llo") == "aMOpbGxv"
    assert render("$util.base64Decode($s)", s=encoded) == '{"message": "path1"}'
    assert render("$util.base64Decode($util.base64Encode($s))", s="\u00fc/+") == "\u00fc/+"


def test_parse_json_gives_an_object_with_field_access() -> None:
    """test_integration_mock_with_request_overrides_in_response_template:
    `$util.parseJson($s).message`; [DG:handle-errors-in-lambda-integration] for a JSON
    errorMessage."""
    template = "#set($o = $util.parseJson($s))$o.message|$o.trace.function|$o.list.size()|$o.trace"
    s = '{"message": "path1", "trace": {"function": "f"}, "list": [1, 2]}'
    assert render(template, s=s) == "path1|f|2|{function=f}"


def test_parse_json_of_invalid_json_is_a_template_failure() -> None:
    """mapping-templates.md §2.2 (parseJson turns stringified JSON into an object): a string
    that is not JSON fails the template, which API Gateway answers with a 500."""
    with pytest.raises(vtl.TemplateFailure, match="parseJson"):
        render("$util.parseJson($s)", s="{not json")


# -- Java string methods -----------------------------------------------------------------------


@pytest.mark.parametrize(("template", "expected"), [
    ("$s.toLowerCase()", " joe@example.com "), ("$s.toUpperCase()", " JOE@EXAMPLE.COM "),
    ("[$s.trim()]", "[Joe@Example.COM]"),
    ("$s.trim().endsWith('.COM') $s.endsWith('x')", "true false"),
    ('$s.trim().replaceAll("(\\w+)@(\\w+)", "$2 at $1")', "Example at Joe.COM"),
    ("$s.trim().length() $s.contains('@')", "15 true"),
])  # fmt: skip
def test_strings_have_java_methods(template: str, expected: str) -> None:
    """(response-template.vm uses `.toString().contains(...)`) and §5.3
    (`.length()`); Java's String methods, `replaceAll` with `$1` groups."""
    assert render(template, s=" Joe@Example.COM ") == expected


# -- syntax ------------------------------------------------------------------------------------


def test_syntax_error_names_a_template_that_does_not_parse() -> None:
    """mapping-templates.md §2 (templates must parse; PutIntegration refuses them): a bad
    template is reported, a good one is not."""
    assert vtl.syntax_error('{"statusCode": 200}') is None
    assert vtl.syntax_error('#set($a = 1)#if($a == 1){"statusCode": 200}#end') is None
    problem = vtl.syntax_error('#if($x {"statusCode": 200}')
    assert problem is not None and problem.startswith("the template does not parse: line 1")
    assert "#end" in (vtl.syntax_error("#foreach($a in $b)x") or "")
    too_big = "x" * (vtl.MAX_TEMPLATE_CHARS + 1)
    assert "300 KB" in (vtl.syntax_error(too_big) or "")
