"""A catalogue of `apistages.yaml` mistakes: each one is a single `ConfigError` line naming the
file, the key path, the bad value and the fix. Then a few good configs, proving the loader
takes AWS's vocabulary and the short forms."""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_apistages import ConfigError, Gateway, Integration
from pytest_apistages.sources.load import load_file


class Contains(str):
    """An expected message that need only appear inside the real one."""


def bad(
    id: str, text: str, expected: str, module: str | None = None, contains: bool = False
) -> Any:
    """One mistake. `{mod}` in the YAML and the message is a module name unique to the row;
    `module` is that module's source, written beside the config (absent: no such module)."""
    wanted = Contains(expected) if contains else expected
    return pytest.param(textwrap.dedent(text).lstrip("\n"), wanted, module, id=id)


HANDLER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"
WSGI = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"

CASES = [
    # -- the file ---------------------------------------------------------------------------
    bad(
        "empty-file",
        "",
        "apistages.yaml: the config is empty (it needs at least api.routes and stages)",
    ),
    bad(
        "only-comments",
        "# todo: write the config\n",
        "apistages.yaml: the config is empty (it needs at least api.routes and stages)",
    ),
    bad(
        "yaml-syntax-unclosed-bracket",
        """
        api:
          routes: {GET /pets: [
        """,
        "apistages.yaml: line 3, column 1: invalid YAML: expected the node content, but found "
        "'<stream end>' (fix the syntax there)",
    ),
    bad(
        "yaml-syntax-bad-indentation",
        """
        api:
          routes:
            GET /pets: {type: MOCK}
           stages: {dev: {}}
        """,
        "apistages.yaml: line 4, column 4: invalid YAML: expected <block end>, but found "
        "'<block mapping start>' (fix the syntax there)",
    ),
    bad(
        "yaml-tab-indentation",
        "api:\n\troutes: {}\n",
        "apistages.yaml: line 2, column 1: invalid YAML: found character '\\t' that cannot start "
        "any token (fix the syntax there)",
    ),
    bad(
        "yaml-duplicate-route-key",
        """
        api:
          routes:
            GET /pets: {type: MOCK, status: 200}
            GET /pets: {type: MOCK, status: 404}
        stages: {dev: {}}
        """,
        "apistages.yaml: line 4, column 5: duplicate key 'GET /pets' (first given on line 3) "
        "(YAML would keep only the last one; merge them)",
    ),
    bad(
        "yaml-duplicate-top-level-key",
        """
        api: {routes: {GET /pets: {type: MOCK}}}
        stages: {dev: {}}
        stages: {prod: {}}
        """,
        "apistages.yaml: line 3, column 1: duplicate key 'stages' (first given on line 2) "
        "(YAML would keep only the last one; merge them)",
    ),
    bad(
        "top-level-is-a-list",
        "- api\n- stages\n",
        "apistages.yaml: expected a mapping, got list ['api', 'stages']",
    ),
    bad(
        "top-level-is-a-string",
        "pets api\n",
        "apistages.yaml: expected a mapping, got str 'pets api'",
    ),
    bad(
        "unknown-top-level-key-did-you-mean",
        """
        api: {routes: {GET /pets: {type: MOCK}}}
        stage: {dev: {}}
        """,
        "apistages.yaml: stage: unknown key (did you mean 'stages'?)",
    ),
    bad(
        "unknown-top-level-key-lists-known",
        """
        api: {routes: {GET /pets: {type: MOCK}}}
        stages: {dev: {}}
        authorizers: {}
        """,
        "apistages.yaml: authorizers: unknown key (known keys: api, functions, backends, "
        "deployments, stages, api_keys, usage_plans, account, max_records, policies)",
    ),
    # -- api --------------------------------------------------------------------------------
    bad(
        "missing-api",
        "stages: {dev: {}}\n",
        "apistages.yaml: missing 'api' (add api: {name: ..., routes: {...}})",
    ),
    bad(
        "api-not-a-mapping",
        "api: pets\nstages: {dev: {}}\n",
        "apistages.yaml: api: expected a mapping, got str 'pets'",
    ),
    bad(
        "missing-routes",
        "api: {name: pets}\nstages: {dev: {}}\n",
        "apistages.yaml: api: missing 'routes' (add routes: {'GET /pets': {...}})",
    ),
    bad(
        "routes-empty-but-a-stage-serves-them",
        "api: {name: pets, routes: {}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes: The REST API doesn't contain any methods (stage 'dev' "
        "serves the current definition: add a route, or give the stage a 'deployment:' from "
        "'deployments')",
    ),
    bad(
        "routes-a-list",
        "api: {routes: ['GET /pets']}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes: expected a mapping, got list ['GET /pets']",
    ),
    bad(
        "api-name-not-a-string",
        "api: {name: 42, routes: {GET /pets: {type: MOCK}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.name: expected a non-empty string, got int 42",
    ),
    bad(
        "account-id-too-short",
        "api: {account_id: 1234, routes: {GET /pets: {type: MOCK}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.account_id: invalid account id '1234' (use 12 digits, quoted)",
    ),
    bad(
        "region-malformed",
        "api: {region: us-east, routes: {GET /pets: {type: MOCK}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.region: invalid value 'us-east' (e.g. us-east-1)",
    ),
    bad(
        "api-id-uppercase",
        "api: {id: ABC123, routes: {GET /pets: {type: MOCK}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.id: invalid value 'ABC123' (use lowercase letters and digits)",
    ),
    bad(
        "binary-media-type-malformed",
        """
        api:
          binaryMediaTypes: [image/png, imagejpeg]
          routes: {GET /pets: {type: MOCK}}
        stages: {dev: {}}
        """,
        "apistages.yaml: api.binaryMediaTypes[1]: invalid value 'imagejpeg' (use a media type "
        "such as image/png)",
    ),
    bad(
        "binary-media-types-not-a-list",
        """
        api:
          binary_media_types: image/png
          routes: {GET /pets: {type: MOCK}}
        stages: {dev: {}}
        """,
        "apistages.yaml: api.binary_media_types: expected a list, got str 'image/png' "
        "(write [a, b])",
    ),
    bad(
        "binary-media-types-both-spellings",
        """
        api:
          binary_media_types: [image/png]
          binaryMediaTypes: [image/gif]
          routes: {GET /pets: {type: MOCK}}
        stages: {dev: {}}
        """,
        "apistages.yaml: api.binaryMediaTypes: 'binary_media_types' and 'binaryMediaTypes' "
        "both given (keep one)",
    ),
    # -- route keys -------------------------------------------------------------------------
    bad(
        "route-without-path",
        "api: {routes: {GET: {type: MOCK}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET: Invalid route 'GET': write it as 'VERB /path', e.g. "
        "'GET /pets/{id}'",
    ),
    bad(
        "route-bad-verb",
        "api: {routes: {FETCH /pets: {type: MOCK}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.FETCH /pets: Invalid HTTP method 'FETCH' in route "
        "'FETCH /pets': use one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, ANY",
    ),
    bad(
        "route-path-without-leading-slash",
        "api: {routes: {GET pets: {type: MOCK}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET pets: Invalid resource path 'pets': it must start with '/'",
    ),
    bad(
        "route-path-trailing-slash",
        "api: {routes: {GET /pets/: {type: MOCK}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets/: Invalid resource path '/pets/': no empty "
        "segments or trailing '/' (write '/pets')",
    ),
    bad(
        "route-bad-character-in-segment",
        "api: {routes: {GET /pet$: {type: MOCK}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pet$: Resource's path part only allow a-zA-Z0-9._- and "
        "curly braces at the beginning and the end and an optional plus sign before the closing "
        "brace: 'pet$' in '/pet$'",
    ),
    bad(
        "route-greedy-segment-not-last",
        """
        api:
          routes:
            GET /{proxy+}/details: {type: MOCK}
        stages: {dev: {}}
        """,
        "apistages.yaml: api.routes.GET /{proxy+}/details: Cannot create a child of a resource "
        "with a greedy path variable: {proxy+}",
    ),
    bad(
        "route-two-variable-siblings",
        """
        api:
          routes:
            GET /pets/{id}: {type: MOCK}
            DELETE /pets/{petId}: {type: MOCK}
        stages: {dev: {}}
        """,
        "apistages.yaml: api.routes.DELETE /pets/{petId}: A sibling ({id}) of this resource "
        "already has a variable path part -- only one is allowed (route 'DELETE /pets/{petId}' "
        "beside 'GET /pets/{id}')",
    ),
    bad(
        "route-same-route-in-two-spellings",
        """
        api:
          routes:
            get /pets: {type: MOCK}
            GET /pets: {type: MOCK}
        stages: {dev: {}}
        """,
        "apistages.yaml: api.routes.GET /pets: route GET /pets is already given as 'get /pets' "
        "(keep one)",
    ),
    bad(
        "route-key-not-a-string",
        "api: {routes: {404: {type: MOCK}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes: key 404 must be a string (quote it: '404')",
    ),
    bad(
        "route-value-a-number",
        "api: {routes: {GET /pets: 200}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets: expected a mapping, got int 200",
    ),
    bad(
        "route-value-empty-string",
        "api: {routes: {GET /pets: ''}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets: expected a non-empty string, got str ''",
    ),
    bad(
        "route-unknown-key-did-you-mean",
        "api: {routes: {GET /pets: {type: MOCK, statuscode: 200}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.statuscode: unknown key (did you mean 'statusCode'?)",
    ),
    # -- integrations -----------------------------------------------------------------------
    bad(
        "integration-type-unknown",
        "api: {routes: {GET /pets: {type: LAMBDA, function: pets}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.type: unknown integration type 'LAMBDA' (use one "
        "of AWS_PROXY, HTTP_PROXY, HTTP, MOCK, AWS)",
    ),
    bad(
        "integration-type-aws-no-action",
        "api: {routes: {GET /pets: {type: AWS, uri: 'arn:aws:apigateway:x'}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.uri: AWS ARN for integration must contain path or "
        "action (e.g. arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/ARN/"
        "invocations)",
    ),
    bad(
        "integration-type-missing",
        "api: {routes: {GET /pets: {uri: 'ftp://files/pets'}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets: missing 'type' (use one of AWS_PROXY, HTTP_PROXY, "
        "HTTP, MOCK, AWS)",
    ),
    bad(
        "aws-proxy-without-function",
        "api: {routes: {GET /pets: {type: AWS_PROXY}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets: AWS_PROXY integration needs 'function' (e.g. "
        "function: 'pets:${stageVariables.alias}')",
    ),
    bad(
        "aws-proxy-function-is-a-url",
        "api: {routes: {GET /pets: {type: AWS_PROXY, function: 'https://pets.example'}}}\n"
        "stages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.function: 'https://pets.example' is a URL, not a "
        "function (use type HTTP_PROXY for an HTTP backend)",
    ),
    bad(
        "function-and-uri-both-given",
        "api: {routes: {GET /pets: {function: pets, uri: 'https://pets.example/pets'}}}\n"
        "stages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.uri: 'function' and 'uri' both given (keep one)",
    ),
    bad(
        "http-proxy-without-uri",
        "api: {routes: {GET /pets: {type: HTTP_PROXY}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets: HTTP_PROXY integration needs 'uri' (e.g. uri: "
        "'https://host/path')",
    ),
    bad(
        "http-proxy-given-a-function",
        "api: {routes: {GET /pets: {type: HTTP_PROXY, function: pets}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.function: a HTTP_PROXY integration takes 'uri', "
        "not 'function'",
    ),
    bad(
        "uri-not-http",
        "api: {routes: {GET /pets: {type: HTTP_PROXY, uri: 'ftp://files/pets'}}}\n"
        "stages: {dev: {}}\n",
        # AWS's text (recorded: LocalStack's test_put_integration_validation, invalid-uri-HTTP)
        "apistages.yaml: api.routes.GET /pets.uri: Invalid HTTP endpoint specified for URI (got "
        "'ftp://files/pets') (give a full http(s) URL, e.g. "
        "https://${stageVariables.backend}/pets/{id})",
    ),
    bad(
        "uri-a-number",
        "api: {routes: {GET /pets: {type: HTTP, uri: 8080}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.uri: expected a non-empty string, got int 8080",
    ),
    bad(
        "timeout-in-millis-too-high",
        "api: {routes: {GET /pets: {uri: 'https://h/pets', timeoutInMillis: 30000}}}\n"
        "stages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.timeoutInMillis: must be 50-29000 ms, got 30000",
    ),
    bad(
        "timeout-ms-too-low",
        "api: {routes: {GET /pets: {uri: 'https://h/pets', timeout_ms: 10}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.timeout_ms: must be 50-29000 ms, got 10",
    ),
    bad(
        "timeout-not-a-number",
        "api: {routes: {GET /pets: {uri: 'https://h/pets', timeoutInMillis: 5s}}}\n"
        "stages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.timeoutInMillis: expected a number, got str '5s' "
        "(use 50-29000 ms)",
    ),
    bad(
        "timeout-not-whole",
        "api: {routes: {GET /pets: {uri: 'https://h/pets', timeoutInMillis: 100.5}}}\n"
        "stages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.timeoutInMillis: expected a whole number, got 100.5 "
        "(use 50-29000 ms)",
    ),
    bad(
        "timeout-a-boolean",
        "api: {routes: {GET /pets: {uri: 'https://h/pets', timeoutInMillis: true}}}\n"
        "stages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.timeoutInMillis: expected a number, got bool True "
        "(use 50-29000 ms)",
    ),
    bad(
        "timeout-both-spellings",
        "api: {routes: {GET /pets: {uri: 'https://h/pets', timeout_ms: 100, "
        "timeoutInMillis: 200}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.timeoutInMillis: 'timeout_ms' and "
        "'timeoutInMillis' both given (keep one)",
    ),
    bad(
        "integration-http-method-invalid",
        "api: {routes: {GET /pets: {uri: 'https://h/pets', httpMethod: FETCH}}}\n"
        "stages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.httpMethod: invalid integration HTTP method "
        "'FETCH' (use one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, ANY)",
    ),
    bad(
        "mock-status-out-of-range",
        "api: {routes: {GET /pets: {type: MOCK, statusCode: 700}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.statusCode: must be 100-599, got 700",
    ),
    bad(
        "mock-status-quoted",
        "api: {routes: {GET /pets: {type: MOCK, status: '404'}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.status: expected a number, got str '404' "
        "(use 100-599)",
    ),
    bad(
        "mock-with-uri",
        "api: {routes: {GET /pets: {type: MOCK, uri: 'https://h/pets'}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.uri: a MOCK integration calls nothing: remove it",
    ),
    bad(
        "mock-header-value-a-mapping",
        "api: {routes: {GET /pets: {type: MOCK, headers: {X-Pets: {count: 2}}}}}\n"
        "stages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.headers.X-Pets: header values are strings, got "
        "dict {'count': 2} (quote the value)",
    ),
    bad(
        "mock-body-binary",
        "api: {routes: {GET /pets: {type: MOCK, body: !!binary aGVsbG8=}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.body: body cannot be written as JSON: Object of "
        "type bytes is not JSON serializable (give the body as a string)",
    ),
    bad(
        "request-parameters-undeclared",
        """
        api:
          routes:
            GET /pets:
              type: HTTP_PROXY
              uri: https://h/pets
              requestParameters: {integration.request.header.x-id: method.request.path.id}
        stages: {dev: {}}
        """,
        "apistages.yaml: api.routes.GET /pets.requestParameters.integration.request.header.x-id: "
        "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
        "[Invalid mapping expression parameter specified: method.request.path.id] (declare it "
        "as the method's: requestParameters: {method.request.path.id: false} beside "
        "integration: {...} (put_route: request_parameters=))",
    ),
    bad(
        "request-template-does-not-parse",
        """
        api:
          routes:
            POST /pets:
              integration:
                type: MOCK
                requestTemplates: {application/json: '#if($x {"statusCode": 200}'}
                responses: {default: {statusCode: 200}}
        stages: {dev: {}}
        """,
        "apistages.yaml: api.routes.POST /pets.integration.requestTemplates.application/json: "
        "the template does not parse: line 1, column 7: expected ) in parenthesized "
        'expression, got:  {"statusCode": 200} ...',
    ),
    bad(
        "request-parameters-bad-source",
        """
        api:
          routes:
            GET /pets:
              type: HTTP
              uri: https://h/pets
              requestParameters: {integration.request.header.x-c: method.request.cookie.c}
        stages: {dev: {}}
        """,
        "apistages.yaml: api.routes.GET /pets.requestParameters.integration.request.header.x-c: "
        "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
        "[Invalid mapping expression specified: method.request.cookie.c] (read "
        "method.request.{path|querystring|header}.NAME, method.request.body, "
        "stageVariables.NAME, context.NAME or 'literal')",
    ),
    bad(
        "request-parameters-bad-destination",
        """
        api:
          routes:
            GET /pets:
              type: HTTP
              uri: https://h/pets
              requestParameters: {integration.request.body: stageVariables.body}
        stages: {dev: {}}
        """,
        "apistages.yaml: api.routes.GET /pets.requestParameters.integration.request.body: "
        "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
        "[Invalid mapping expression specified: integration.request.body] (write to "
        "integration.request.{header|querystring|path}.NAME)",
    ),
    bad(
        "responses-pattern-not-a-regex",
        """
        api:
          routes:
            GET /pets: {type: HTTP, uri: 'https://h/pets', responses: {'5\\d(': 502}}
        stages: {dev: {}}
        """,
        "apistages.yaml: api.routes.GET /pets.responses.5\\d(: Invalid selection pattern "
        "'5\\\\d(': missing ), unterminated subpattern at position 3 (a selection pattern is a "
        "Java regular expression, e.g. '4\\d{2}')",
    ),
    bad(
        "api-key-required-not-a-bool",
        "api: {routes: {GET /pets: {type: MOCK, apiKeyRequired: 'yes'}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.apiKeyRequired: must be true or false, got str 'yes'",
    ),
    bad(
        "api-key-required-both-spellings",
        "api: {routes: {GET /pets: {type: MOCK, api_key_required: true, apiKeyRequired: true}}}"
        "\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.apiKeyRequired: 'api_key_required' and "
        "'apiKeyRequired' both given (keep one)",
    ),
    bad(
        "operation-name-not-a-string",
        "api: {routes: {GET /pets: {type: MOCK, operationName: 7}}}\nstages: {dev: {}}\n",
        "apistages.yaml: api.routes.GET /pets.operationName: expected a non-empty string, got "
        "int 7",
    ),
    # -- functions --------------------------------------------------------------------------
    bad(
        "function-name-invalid",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          list pets: {handler: '{mod}:handler'}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.list pets: invalid function name 'list pets' (use 1-64 "
        "letters, digits, '-' or '_')",
    ),
    bad(
        "function-without-handler",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets: {timeout: 10}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets: missing 'handler' (add handler: package.module:function)",
    ),
    bad(
        "handler-not-module-colon-attribute",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets: {handler: '{mod}.handler'}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.handler: invalid value '{mod}.handler' (write the handler "
        "as package.module:attribute)",
        module=HANDLER,
    ),
    bad(
        "handler-module-missing",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets: {handler: '{mod}:handler'}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.handler: cannot import module '{mod}': No module named "
        "'{mod}' (modules are imported from the config's folder TMP)",
    ),
    bad(
        "handler-module-fails-on-import",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets: {handler: '{mod}:handler'}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.handler: importing '{mod}' failed: RuntimeError: no "
        "table configured at TMP/{mod}.py:1 (raise RuntimeError('no table configured'))",
        module="raise RuntimeError('no table configured')\n",
    ),
    bad(
        "handler-attribute-missing-did-you-mean",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets: {handler: '{mod}:handlr'}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.handler: '{mod}' has no attribute 'handlr' (did you mean "
        "'handler'?)",
        module=HANDLER,
    ),
    bad(
        "handler-not-callable",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets: {handler: '{mod}:TABLE'}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.handler: {mod}:TABLE is not callable (str) (point at a "
        "handler)",
        module="TABLE = 'pets'\n",
    ),
    bad(
        "function-timeout-too-long",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets: {handler: '{mod}:handler', timeout: 901}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.timeout: must be 1-900 seconds, got 901",
        module=HANDLER,
    ),
    bad(
        "function-memory-too-small",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets: {handler: '{mod}:handler', memory: 64}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.memory: must be 128-10240 MB, got 64",
        module=HANDLER,
    ),
    bad(
        "function-versions-out-of-order",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets:
            handler: '{mod}:handler'
            versions: {"1": '{mod}:handler', "3": '{mod}:handler'}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.versions.3: version '3' out of order (versions are "
        "numbered 1, 2, 3...; expected 2)",
        module=HANDLER,
    ),
    bad(
        "function-version-key-unquoted",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets:
            handler: '{mod}:handler'
            versions: {1: '{mod}:handler'}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.versions: key 1 must be a string (quote it: '1')",
        module=HANDLER,
    ),
    bad(
        "alias-points-at-undeclared-version",
        """
        api: {routes: {GET /pets: 'pets:live'}}
        functions:
          pets:
            handler: '{mod}:handler'
            versions: {"1": '{mod}:handler'}
            aliases: {live: "2"}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.aliases.live: alias 'live' points at version '2', which "
        "is not declared (declared versions: 1 (or $LATEST))",
        module=HANDLER,
    ),
    bad(
        "alias-name-numeric",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets:
            handler: '{mod}:handler'
            versions: {"1": '{mod}:handler'}
            aliases: {"1": "1"}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.aliases.1: Invalid alias name '1' for function 'pets': "
        "use letters, digits, '-' or '_', not only digits",
        module=HANDLER,
    ),
    bad(
        "alias-weights-without-version",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets:
            handler: '{mod}:handler'
            versions: {"1": '{mod}:handler'}
            aliases: {live: {"1": 0.9}}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.aliases.live.1: unknown key (known keys: version, "
        "weights, deployment_preference)",
        module=HANDLER,
    ),
    bad(
        "alias-weight-out-of-range",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets:
            handler: '{mod}:handler'
            versions: {"1": '{mod}:handler', "2": '{mod}:handler'}
            aliases: {live: {version: "1", weights: {"2": 1.5}}}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.aliases.live.weights.2: must be 0-1, got 1.5",
        module=HANDLER,
    ),
    bad(
        "alias-weight-on-own-version",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets:
            handler: '{mod}:handler'
            versions: {"1": '{mod}:handler', "2": '{mod}:handler'}
            aliases: {live: {version: "1", weights: {"1": 0.5}}}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.aliases.live: Alias pets:live: weighted version '1' must "
        "be a published version other than '1' (published: 1, 2)",
        module=HANDLER,
    ),
    bad(
        "environment-value-a-mapping",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets:
            handler: '{mod}:handler'
            environment: {TABLE: {name: pets}}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.environment.TABLE: environment values are strings, got "
        "dict {'name': 'pets'} (quote the value)",
        module=HANDLER,
    ),
    bad(
        "environment-name-invalid",
        """
        api: {routes: {GET /pets: pets}}
        functions:
          pets:
            handler: '{mod}:handler'
            environment: {PETS-TABLE: pets}
        stages: {dev: {}}
        """,
        "apistages.yaml: functions.pets.environment.PETS-TABLE: invalid environment variable "
        "name 'PETS-TABLE' (start with a letter; then letters, digits and '_' only)",
        module=HANDLER,
    ),
    # -- backends ---------------------------------------------------------------------------
    bad(
        "backend-not-importable",
        """
        api: {routes: {GET /pets: 'https://pets.internal/pets'}}
        backends: {pets.internal: '{mod}:app'}
        stages: {dev: {}}
        """,
        "apistages.yaml: backends.pets.internal: cannot import module '{mod}': No module named "
        "'{mod}' (modules are imported from the config's folder TMP)",
    ),
    bad(
        "backend-not-callable",
        """
        api: {routes: {GET /pets: 'https://pets.internal/pets'}}
        backends: {pets.internal: '{mod}:PORT'}
        stages: {dev: {}}
        """,
        "apistages.yaml: backends.pets.internal: {mod}:PORT is not callable (int) (point at a "
        "WSGI app)",
        module="PORT = 8080\n",
    ),
    bad(
        "backend-host-is-a-url",
        """
        api: {routes: {GET /pets: 'https://pets.internal/pets'}}
        backends: {'https://pets.internal': '{mod}:app'}
        stages: {dev: {}}
        """,
        "apistages.yaml: backends.https://pets.internal: invalid backend host "
        "'https://pets.internal' (write the host (and :port) only, e.g. pets.internal)",
        module=WSGI,
    ),
    # -- deployments ------------------------------------------------------------------------
    bad(
        "deployment-id-invalid",
        """
        api: {routes: {GET /pets: {type: MOCK}}}
        deployments:
          oct 2024: {routes: {GET /pets: {type: MOCK}}}
        stages: {dev: {}}
        """,
        "apistages.yaml: deployments.oct 2024: invalid deployment id 'oct 2024' (use letters, "
        "digits, '-' or '_' (and not 'current'))",
    ),
    bad(
        "deployment-id-current",
        """
        api: {routes: {GET /pets: {type: MOCK}}}
        deployments:
          current: {routes: {GET /pets: {type: MOCK}}}
        stages: {dev: {}}
        """,
        "apistages.yaml: deployments.current: invalid deployment id 'current' (use letters, "
        "digits, '-' or '_' (and not 'current'))",
    ),
    bad(
        "deployment-without-routes",
        """
        api: {routes: {GET /pets: {type: MOCK}}}
        deployments:
          october: {description: before pets}
        stages: {dev: {}}
        """,
        "apistages.yaml: deployments.october: missing 'routes' (a deployment lists the routes it "
        "served)",
    ),
    bad(
        "deployment-with-empty-routes",
        """
        api: {routes: {GET /pets: {type: MOCK}}}
        deployments:
          october: {routes: {}}
        stages: {dev: {}}
        """,
        "apistages.yaml: deployments.october.routes: The REST API doesn't contain any methods "
        "(a deployment serves at least one route)",
    ),
    bad(
        "deployment-route-error-is-located-in-the-deployment",
        """
        api: {routes: {GET /pets: {type: MOCK}}}
        deployments:
          october: {routes: {GET /pets: {type: MOCK, status: 1000}}}
        stages: {dev: {}}
        """,
        "apistages.yaml: deployments.october.routes.GET /pets.status: must be 100-599, got 1000",
    ),
    # -- stages -----------------------------------------------------------------------------
    bad(
        "no-stages",
        "api: {routes: {GET /pets: {type: MOCK}}}\n",
        "apistages.yaml: no stages declared (add stages: {dev: {variables: {...}}})",
    ),
    bad(
        "stages-empty",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {}\n",
        "apistages.yaml: no stages declared (add stages: {dev: {variables: {...}}})",
    ),
    bad(
        "stages-a-list",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: [dev, prod]\n",
        "apistages.yaml: stages: expected a mapping, got list ['dev', 'prod']",
    ),
    bad(
        "stage-name-invalid",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod.eu: {}}\n",
        "apistages.yaml: stages.prod.eu: Invalid stage name 'prod.eu': stage names may contain "
        "only alphanumeric characters, hyphens and underscores, up to 128 characters",
    ),
    bad(
        "stage-unknown-key-did-you-mean",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {dev: {varaibles: {a: b}}}\n",
        "apistages.yaml: stages.dev.varaibles: unknown key (did you mean 'variables'?)",
    ),
    bad(
        "stage-variable-name-invalid",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {dev: {variables: {pets-alias: x}}}\n",
        "apistages.yaml: stages.dev.variables.pets-alias: Invalid stage variable name: "
        "pets-alias.  Please use names with only word characters.",
    ),
    bad(
        "stage-variable-value-invalid",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {dev: {variables: {alias: 'a*b'}}}\n",
        "apistages.yaml: stages.dev.variables.alias: Invalid stage variable value: a*b.  "
        "Please use values with alphanumeric characters and the symbols ' ', -', '.', '_', ':', "
        "'/', '?', '&', '=', and ','.",
    ),
    bad(
        "stage-variable-value-null",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {dev: {variables: {alias: }}}\n",
        "apistages.yaml: stages.dev.variables.alias: stage variable values are strings, got "
        "nothing (null) (give a value or remove the key)",
    ),
    bad(
        "stage-variable-value-a-mapping",
        "api: {routes: {GET /pets: {type: MOCK}}}\n"
        "stages: {dev: {variables: {backend: {host: h}}}}\n",
        "apistages.yaml: stages.dev.variables.backend: stage variable values are strings, got "
        "dict {'host': 'h'} (quote the value)",
    ),
    bad(
        "stage-history-unknown-deployment",
        """
        api: {routes: {GET /pets: {type: MOCK}}}
        deployments:
          october: {routes: {GET /pets: {type: MOCK}}}
        stages:
          prod: {history: [octobr]}
        """,
        "apistages.yaml: stages.prod.history[0]: unknown deployment 'octobr' (declared "
        "deployments: october, current)",
    ),
    bad(
        "stage-history-not-a-list",
        """
        api: {routes: {GET /pets: {type: MOCK}}}
        deployments:
          october: {routes: {GET /pets: {type: MOCK}}}
        stages:
          prod: {history: october}
        """,
        "apistages.yaml: stages.prod.history: expected a list, got str 'october' (write [a, b])",
    ),
    bad(
        "stage-deployment-unknown",
        """
        api: {routes: {GET /pets: {type: MOCK}}}
        deployments:
          october: {routes: {GET /pets: {type: MOCK}}}
        stages:
          prod: {deployment: november}
        """,
        "apistages.yaml: stages.prod.deployment: unknown deployment 'november' (declared "
        "deployments: october, current)",
    ),
    bad(
        "stage-deployment-a-list",
        """
        api: {routes: {GET /pets: {type: MOCK}}}
        deployments:
          october: {routes: {GET /pets: {type: MOCK}}}
        stages:
          prod: {deployment: [october]}
        """,
        "apistages.yaml: stages.prod.deployment: expected a deployment id, got list ['october'] "
        "(declared deployments: october, current)",
    ),
    bad(
        "throttling-negative-rate",
        "api: {routes: {GET /pets: {type: MOCK}}}\n"
        "stages: {prod: {throttling: {rate: -5, burst: 50}}}\n",
        "apistages.yaml: stages.prod.throttling.rate: must be >= 0, got -5",
    ),
    bad(
        "throttling-burst-not-whole",
        "api: {routes: {GET /pets: {type: MOCK}}}\n"
        "stages: {prod: {throttling: {rate: 5, burst: 2.5}}}\n",
        "apistages.yaml: stages.prod.throttling.burst: must be a whole number, got 2.5",
    ),
    bad(
        "throttling-unknown-key",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {throttling: {rps: 5}}}\n",
        "apistages.yaml: stages.prod.throttling: unknown key 'rps'; use rate, burst",
    ),
    bad(
        "caching-ttl-over-3600",
        "api: {routes: {GET /pets: {type: MOCK}}}\n"
        "stages: {prod: {caching: {enabled: true, ttl: 7200}}}\n",
        "apistages.yaml: stages.prod.caching.ttl: must be from 0 to 3600, got 7200",
    ),
    bad(
        "caching-size-unknown",
        "api: {routes: {GET /pets: {type: MOCK}}}\n"
        "stages: {prod: {caching: {enabled: true, size: 2}}}\n",
        "apistages.yaml: stages.prod.caching.size: '2' is not a cache size; use one of "
        "0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237 (GB)",
    ),
    bad(
        "caching-strategy-unknown",
        "api: {routes: {GET /pets: {type: MOCK}}}\n"
        "stages: {prod: {caching: {unauthorized_strategy: IGNORE}}}\n",
        "apistages.yaml: stages.prod.caching.unauthorized_strategy: unknown value "
        "'IGNORE'; use one of FAIL_WITH_403, SUCCEED_WITH_RESPONSE_HEADER, "
        "SUCCEED_WITHOUT_RESPONSE_HEADER",
    ),
    bad(
        "logging-level-unknown",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {logging: DEBUG}}\n",
        "apistages.yaml: stages.prod.logging: unknown level 'DEBUG'; use one of OFF, ERROR, INFO",
    ),
    bad(
        "metrics-not-bool",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {metrics: on please}}\n",
        "apistages.yaml: stages.prod.metrics: metrics must be true or false, got 'on please'",
    ),
    bad(
        "access-log-without-request-id",
        "api: {routes: {GET /pets: {type: MOCK}}}\n"
        "stages: {prod: {access_log: {format: '$context.status', destination: logs}}}\n",
        "apistages.yaml: stages.prod.access_log.format: must include "
        "$context.requestId (AWS refuses formats without it)",
    ),
    bad(
        "method-settings-bad-route",
        "api: {routes: {GET /pets: {type: MOCK}}}\n"
        "stages: {prod: {method_settings: {'FETCH /pets': {metrics: true}}}}\n",
        "apistages.yaml: stages.prod.method_settings: Invalid HTTP method 'FETCH' in route "
        "'FETCH /pets': use one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, ANY",
    ),
    bad(
        "usage-plan-unknown-key",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {}}\n"
        "usage_plans: {gold: {stages: [prod], keys: [partner]}}\n",
        "apistages.yaml: usage_plans.gold: Invalid API Key identifier specified: 'partner' "
        "(keys: none)",
    ),
    bad(
        "usage-plan-unknown-setting",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {}}\n"
        "usage_plans: {gold: {stages: [prod], limit: 5}}\n",
        "apistages.yaml: usage_plans.gold.limit: unknown key (known keys: stages, keys, "
        "throttle, quota, method_throttles)",
    ),
    bad(
        "usage-plan-unknown-stage",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {}}\n"
        "usage_plans: {gold: {stages: [production]}}\n",
        "apistages.yaml: usage_plans.gold.stages[0]: Invalid API Stage specified: 'production' "
        "(stages: prod)",
    ),
    bad(
        "usage-plan-api-stage-unknown-stage",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {}}\n"
        "usage_plans: {gold: {stages: [{stage: production, throttle: {}}]}}\n",
        "apistages.yaml: usage_plans.gold.stages[0].stage: Invalid API Stage specified: "
        "'production' (stages: prod)",
    ),
    bad(
        "usage-plan-api-stage-without-stage",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {}}\n"
        "usage_plans: {gold: {stages: [{throttle: {/pets/GET: {rate: 1, burst: 1}}}]}}\n",
        "apistages.yaml: usage_plans.gold.stages[0]: missing 'stage' (write {stage: NAME, "
        "throttle: {...}})",
    ),
    bad(
        "usage-plan-api-stage-throttle-not-mapping",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {}}\n"
        "usage_plans: {gold: {stages: [{stage: prod, throttle: [1]}]}}\n",
        "apistages.yaml: usage_plans.gold.stages[0].throttle: expected a mapping, got list [1]",
    ),
    bad(
        "usage-plan-api-stage-bad-method",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {}}\n"
        "usage_plans: {gold: {stages: [{stage: prod, throttle: {/pets/FETCH: {rate: 1, "
        "burst: 1}}}]}}\n",
        "apistages.yaml: usage_plans.gold: Invalid HTTP method 'FETCH' in route 'FETCH /pets': "
        "use one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, ANY",
    ),
    bad(
        "method-settings-negative-burst",
        "api: {routes: {GET /pets: {type: MOCK}}}\n"
        "stages: {prod: {method_settings: {GET /pets: {throttling: {rate: 1, burst: -1}}}}}\n",
        "apistages.yaml: stages.prod.method_settings.GET /pets.throttling.burst: must be >= 0, "
        "got -1",
    ),
    bad(
        "account-negative-rate",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {}}\n"
        "account: {throttling: {rate: -1, burst: 1}}\n",
        "apistages.yaml: account.throttling.rate: must be >= 0, got -1",
    ),
    bad(
        "usage-plan-api-stage-negative-rate",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {}}\n"
        "usage_plans: {gold: {stages: [{stage: prod, throttle: {/pets/GET: {rateLimit: -1, "
        "burstLimit: 1}}}]}}\n",
        "apistages.yaml: usage_plans.gold.stages[0].throttle./pets/GET.rate: must be >= 0, got -1",
    ),
    bad(
        "http-uri-port-not-allowed",
        "api: {routes: {GET /x: {type: HTTP_PROXY, uri: 'http://backend.internal:1024/x'}}}\n"
        "stages: {prod: {}}\n",
        "apistages.yaml: api.routes.GET /x.uri: HTTP integration uri port 1024 is not allowed "
        "(API Gateway accepts ports 80, 443 and above 1024)",
    ),
    bad(
        "http-uri-not-encoded",
        "api: {routes: {GET /x: 'https://backend.internal/a b'}}\nstages: {prod: {}}\n",
        "apistages.yaml: api.routes.GET /x: HTTP integration uri must be encoded, got ' ' in "
        "'https://backend.internal/a b' (percent-encode it (e.g. %20))",
    ),
    bad(
        "aws-proxy-arn-without-path",
        "api: {routes: {GET /x: {type: AWS_PROXY, uri: 'arn:aws:apigateway:us-east-1:lambda'}}}\n"
        "stages: {prod: {}}\n",
        "apistages.yaml: api.routes.GET /x.uri: AWS ARN for integration must contain path or "
        "action (e.g. arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/ARN/"
        "invocations)",
    ),
    bad(
        "aws-proxy-arn-not-lambda",
        "api: {routes: {GET /x: {type: AWS_PROXY, "
        "uri: 'arn:aws:apigateway:us-east-1:s3:path/bucket/key'}}}\nstages: {prod: {}}\n",
        "apistages.yaml: api.routes.GET /x.uri: Integrations of type 'AWS_PROXY' currently only "
        "supports Lambda function and Firehose stream invocations. (Lambda is emulated here; "
        "Firehose is not)",
    ),
    bad(
        "usage-plan-quota-period",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {}}\n"
        "usage_plans: {gold: {stages: [prod], quota: {limit: 5, period: YEAR}}}\n",
        "apistages.yaml: usage_plans.gold.quota.period: must be one of DAY, "
        "WEEK, MONTH, got 'YEAR'",
    ),
    bad(
        "api-key-too-short",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {}}\n"
        "api_keys: {partner: {value: short}}\n",
        # AWS's text (recorded: test_create_api_key_with_invalid_value, create-api-key-short-value)
        "apistages.yaml: api_keys.partner: API Key value should be at least 20 characters (key "
        "'partner' has 5)",
    ),
    bad(
        "api-key-too-long",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {}}\n"
        f"api_keys: {{partner: {{value: {'k' * 129}}}}}\n",
        # recorded: create-api-key-invalid-value-too-long
        "apistages.yaml: api_keys.partner: API Key value exceeds maximum size of 128 characters "
        "(key 'partner' has 129)",
    ),
    bad(
        "cache-key-parameter-malformed",
        "api: {routes: {GET /pets: {type: MOCK, cacheKeyParameters: [querystring.type]}}}\n"
        "stages: {prod: {}}\n",
        "apistages.yaml: api.routes.GET /pets.cacheKeyParameters[0]: invalid value "
        "'querystring.type' (e.g. method.request.querystring.type)",
    ),
    bad(
        "canary-percent-out-of-range",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {canary: {percent: 150}}}\n",
        "apistages.yaml: stages.prod.canary.percent: must be 0-100 %, got 150",
    ),
    bad(
        "canary-percent-nan",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {canary: {percent: .nan}}}\n",
        "apistages.yaml: stages.prod.canary.percent: expected a number, got float nan "
        "(use 0-100 %)",
    ),
    bad(
        "canary-without-percent",
        "api: {routes: {GET /pets: {type: MOCK}}}\nstages: {prod: {canary: {variables: {a: b}}}}\n",
        "apistages.yaml: stages.prod.canary: missing 'percent' (e.g. canary: {percent: 10})",
    ),
    bad(
        "canary-unknown-deployment",
        "api: {routes: {GET /pets: {type: MOCK}}}\n"
        "stages: {prod: {canary: {percent: 5, deployment: v9}}}\n",
        "apistages.yaml: stages.prod.canary.deployment: unknown deployment 'v9' "
        "(declared deployments: current)",
    ),
    bad(
        "canary-override-invalid",
        "api: {routes: {GET /pets: {type: MOCK}}}\n"
        "stages: {prod: {canary: {percent: 5, variables: {bad-name: x}}}}\n",
        "apistages.yaml: stages.prod.canary.variables.bad-name: Invalid stage variable name: "
        "bad-name.  "
        "Please use names with only word characters.",
    ),
    bad(
        "canary-use-stage-cache-not-bool",
        "api: {routes: {GET /pets: {type: MOCK}}}\n"
        "stages: {prod: {canary: {percent: 5, use_stage_cache: yes please}}}\n",
        "apistages.yaml: stages.prod.canary.use_stage_cache: expected true or false, "
        "got str 'yes please'",
    ),
]


def _ids() -> list[str]:
    return [p.id for p in CASES]


assert len(set(_ids())) == len(CASES), "duplicate ids in CASES"


@pytest.fixture
def unique_module(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A module name no other test uses, forgotten (with the config folder on sys.path) after."""
    name = "cfg_" + re.sub(r"\W", "_", request.node.name)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield name
    sys.modules.pop(name, None)


def _prepare(tmp_path: Path, text: str, module: str | None, name: str) -> Path:
    if module is not None:
        (tmp_path / f"{name}.py").write_text(module)
    path = tmp_path / "apistages.yaml"
    path.write_text(text.replace("{mod}", name))
    return path


def _check(message: str, expected: str, name: str, source: str = "apistages.yaml") -> None:
    wanted = expected.replace("{mod}", name).replace("apistages.yaml: ", f"{source}: ", 1)
    if isinstance(expected, Contains):
        assert wanted in message
    else:
        assert message == wanted


@pytest.mark.parametrize(("text", "expected", "module"), CASES)
def test_bad_config_is_one_located_error(
    tmp_path: Path, unique_module: str, text: str, expected: str, module: str | None
) -> None:
    path = _prepare(tmp_path, text, module, unique_module)

    with pytest.raises(ConfigError) as error:
        load_file(path)

    message = str(error.value).replace(str(path), "apistages.yaml").replace(str(tmp_path), "TMP")
    _check(message, expected, unique_module)
    assert error.value.source == str(path)


# The same mistakes given as a dict: the source is "config".
FROM_DICT = [
    "unknown-top-level-key-did-you-mean",
    "route-two-variable-siblings",
    "integration-type-aws-no-action",
    "timeout-in-millis-too-high",
    "alias-points-at-undeclared-version",
    "stage-variable-name-invalid",
    "stage-history-unknown-deployment",
    "canary-percent-out-of-range",
]


@pytest.mark.parametrize(("text", "expected", "module"), [p for p in CASES if p.id in FROM_DICT])
def test_bad_dict_is_the_same_error_sourced_config(
    tmp_path: Path, unique_module: str, text: str, expected: str, module: str | None
) -> None:
    path = _prepare(tmp_path, text, module, unique_module)
    data = yaml.safe_load(path.read_text())

    with pytest.raises(ConfigError) as error:
        Gateway.from_dict(data, base_dir=tmp_path)

    assert error.value.source == "config"
    _check(str(error.value), expected, unique_module, source="config")


def test_from_dict_catalogue_rows_exist() -> None:
    assert set(FROM_DICT) <= set(_ids())


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            None, "config: the config is empty (it needs at least api.routes and stages)", id="none"
        ),
        pytest.param([1], "config: expected a mapping, got list [1]", id="list"),
        pytest.param(
            {"api": {"routes": {"GET /x": {"type": "MOCK"}}}, 5: {}},
            "config: key 5 must be a string (quote it: '5')",
            id="int-key",
        ),
    ],
)
def test_from_dict_rejects_non_configs(data: object, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        Gateway.from_dict(data)  # type: ignore[arg-type]
    assert str(error.value) == expected


@pytest.mark.parametrize("layout", ["module", "package", "namespace-package"])
def test_two_configs_with_the_same_module_name_are_refused(
    tmp_path: Path, unique_module: str, layout: str
) -> None:
    """Python imports a name once: the second API would silently run the first one's code."""
    config = (
        textwrap.dedent(f"""
        api: {{routes: {{GET /x: {{type: AWS_PROXY, function: f}}}}}}
        functions: {{f: {{handler: "{unique_module}.code:handler"}}}}
        stages: {{dev: {{}}}}
    """)
        if layout != "module"
        else textwrap.dedent(f"""
        api: {{routes: {{GET /x: {{type: AWS_PROXY, function: f}}}}}}
        functions: {{f: {{handler: "{unique_module}:handler"}}}}
        stages: {{dev: {{}}}}
    """)
    )
    paths = []
    for api in ("first", "second"):
        folder = tmp_path / api
        if layout == "module":
            module_file = folder / f"{unique_module}.py"
        else:
            module_file = folder / unique_module / "code.py"
        module_file.parent.mkdir(parents=True)
        if layout == "package":
            (module_file.parent / "__init__.py").write_text("")
        module_file.write_text(HANDLER)
        (folder / "apistages.yaml").write_text(config)
        paths.append(folder / "apistages.yaml")

    load_file(paths[0])
    load_file(paths[0])  # the same config again is fine
    with pytest.raises(ConfigError) as error:
        load_file(paths[1])

    name = unique_module if layout == "module" else f"{unique_module}.code"
    first = tmp_path / "first" / (f"{unique_module}.py" if layout == "module" else unique_module)
    message = str(error.value)
    assert message.startswith(
        f"{paths[1]}: functions.f.handler: module {name!r} is already imported from {first}"
    )
    assert f"not from this config's folder {tmp_path / 'second'} (Python imports" in message
    assert "give the two modules distinct names" in message


def test_a_module_imported_from_outside_any_config_folder_is_used(
    tmp_path: Path, unique_module: str
) -> None:
    """An installed copy (or one earlier on sys.path) wins, as in any Python program."""
    site, project = tmp_path / "site", tmp_path / "project"
    for folder, answer in ((site, "installed"), (project, "project")):
        folder.mkdir()
        (folder / f"{unique_module}.py").write_text(
            f"def handler(event, context):\n    return {{'statusCode': 200, 'body': '{answer}'}}\n"
        )
    sys.path.insert(0, str(site))
    __import__(unique_module)
    (project / "apistages.yaml").write_text(
        "api: {routes: {GET /x: {type: AWS_PROXY, function: f}}}\n"
        f"functions: {{f: {{handler: '{unique_module}:handler'}}}}\n"
        "stages: {dev: {}}\n"
    )

    gw = Gateway.from_config(load_file(project / "apistages.yaml"))

    assert gw.client("dev").get("/x").get_data() == b"installed"


def test_an_installed_module_under_another_configs_folder_is_still_used(
    tmp_path: Path, unique_module: str
) -> None:
    """Only a module another config imported is refused, not one that merely lives under its
    folder (a src layout or a virtualenv inside the project)."""
    handler = "def handler(event, context):\n    return {{'statusCode': 200, 'body': '{}'}}\n"
    project, site, sub = tmp_path, tmp_path / "site", tmp_path / "sub"
    for folder in (site, sub):
        folder.mkdir()
    (site / f"{unique_module}.py").write_text(handler.format("installed"))
    (sub / f"{unique_module}.py").write_text(handler.format("sub"))
    (project / f"{unique_module}_root.py").write_text(handler.format("root"))
    for folder, module in ((project, f"{unique_module}_root"), (sub, unique_module)):
        (folder / "apistages.yaml").write_text(
            "api: {routes: {GET /x: {type: AWS_PROXY, function: f}}}\n"
            f"functions: {{f: {{handler: '{module}:handler'}}}}\n"
            "stages: {dev: {}}\n"
        )
    load_file(project / "apistages.yaml")
    sys.path.insert(0, str(site))
    __import__(unique_module)

    gw = Gateway.from_config(load_file(sub / "apistages.yaml"))

    assert gw.client("dev").get("/x").get_data() == b"installed"
    sys.modules.pop(f"{unique_module}_root", None)


def test_missing_file_names_the_option() -> None:
    with pytest.raises(ConfigError) as error:
        load_file("/nonexistent/apistages.yaml")
    assert str(error.value) == (
        "/nonexistent/apistages.yaml: file not found (create it or pass --apistages-config)"
    )


def test_put_route_shares_the_integration_checks() -> None:
    gw = Gateway()
    with pytest.raises(ConfigError) as error:
        gw.api.put_route("GET /pets", {"type": "HTTP_PROXY", "uri": "ftp://files/pets"})
    assert str(error.value) == (
        "put_route: GET /pets.uri: Invalid HTTP endpoint specified for URI (got "
        "'ftp://files/pets') (give a full http(s) URL, e.g. "
        "https://${stageVariables.backend}/pets/{id})"
    )


# -- good configs -------------------------------------------------------------------------


def _load_good(tmp_path: Path, text: str, modules: dict[str, str] | None = None) -> Gateway:
    for name, source in (modules or {}).items():
        (tmp_path / f"{name}.py").write_text(source)
    path = tmp_path / "apistages.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return Gateway.from_config(load_file(path))


def test_aws_vocabulary_is_accepted(tmp_path: Path) -> None:
    gw = _load_good(
        tmp_path,
        """
        api:
          name: pets
          binaryMediaTypes: [image/png, "application/octet-stream"]
          routes:
            GET /pets/{id}:
              type: HTTP
              uri: https://pets.example/pets/{id}
              httpMethod: GET
              timeoutInMillis: 5000
              requestParameters:
                integration.request.header.x-pet: method.request.path.id
                integration.request.querystring.stage: stageVariables.stage
              apiKeyRequired: true
              operationName: GetPet
            GET /health:
              type: MOCK
              statusCode: 201
              headers: {X-Ready: true}
              body: {status: ok}
        stages:
          dev: {variables: {stage: dev}}
        """,
    )

    pet = gw.api.routes["GET /pets/{id}"]
    assert pet.integration.type == "HTTP"
    assert pet.integration.target == "https://pets.example/pets/{id}"
    assert pet.integration.http_method == "GET"
    assert pet.integration.timeout_ms == 5000
    assert dict(pet.integration.request_parameters) == {
        "integration.request.header.x-pet": "method.request.path.id",
        "integration.request.querystring.stage": "stageVariables.stage",
    }
    assert pet.api_key_required is True
    assert pet.operation_name == "GetPet"
    health = gw.api.routes["GET /health"].integration
    assert (health.type, health.status, dict(health.headers), health.body) == (
        "MOCK",
        201,
        {"X-Ready": "true"},
        '{"status": "ok"}',
    )
    assert gw.api.definition.binary_media_types == ("image/png", "application/octet-stream")

    answer = gw.client("dev").get("/health")
    assert (answer.status_code, answer.json(), answer.headers["X-Ready"]) == (
        201,
        {"status": "ok"},
        "true",
    )


def test_short_forms_are_accepted(tmp_path: Path) -> None:
    mod = "cfgerr_good_short_forms"
    try:
        gw = _load_good(
            tmp_path,
            f"""
            api:
              routes:
                GET /pets: pets
                GET /pets/live: "pets:${{stageVariables.alias}}"
                GET /site: https://www.example.com/
                POST /orders: {{function: orders, timeout_ms: 50}}
                GET /legacy: {{uri: "http://legacy.example/x", http_method: post}}
            functions:
              pets:
                handler: {mod}:handler
                environment: {{TABLE: pets, DEBUG: false, SIZE: 3}}
                versions: {{"1": {mod}:handler, "2": {{handler: {mod}:handler, description: v2}}}}
                aliases: {{live: 1, next: "2", edge: $LATEST}}
              orders: {{handler: {mod}:handler, timeout: 10, memory: 256}}
            stages:
              dev: {{variables: {{alias: live, debug: true}}}}
            """,
            {mod: HANDLER},
        )
    finally:
        sys.modules.pop(mod, None)

    routes = gw.api.routes
    assert routes["GET /pets"].integration == Integration("AWS_PROXY", "pets")
    assert routes["GET /pets/live"].integration == Integration(
        "AWS_PROXY", "pets:${stageVariables.alias}"
    )
    assert routes["GET /site"].integration == Integration("HTTP_PROXY", "https://www.example.com/")
    assert routes["POST /orders"].integration == Integration("AWS_PROXY", "orders", timeout_ms=50)
    assert routes["GET /legacy"].integration == Integration(
        "HTTP_PROXY", "http://legacy.example/x", "POST"
    )
    assert {a: x.version for a, x in gw.functions.aliases("pets").items()} == {
        "live": "1",
        "next": "2",
        "edge": "$LATEST",
    }
    assert gw.functions.versions("pets")["2"].description == "v2"
    assert dict(gw.functions.resolve("pets").function.environment) == {
        "TABLE": "pets",
        "DEBUG": "false",
        "SIZE": "3",
    }
    assert dict(gw.stage("dev").variables) == {"alias": "live", "debug": "true"}

    answer = gw.client("dev").get("/pets/live")
    assert (answer.status_code, answer.text) == (200, "ok")


def test_declared_history_builds_stage_histories(tmp_path: Path) -> None:
    loaded_text = """
        api:
          routes:
            GET /pets: {type: MOCK, body: v3}
            GET /orders: {type: MOCK, body: orders}
        deployments:
          v1:
            description: first release
            routes: {GET /pets: {type: MOCK, body: v1}}
          v2:
            routes: {GET /pets: {type: MOCK, body: v2}}
            binary_media_types: [image/png]
        stages:
          prod: {history: [v1], deployment: v2}
          staging: {history: [v1, v2]}
          old: {deployment: v1}
          dev: {}
        """
    gw = _load_good(tmp_path, loaded_text)

    current = gw.stage("dev").deployment_id
    assert current not in ("v1", "v2", "current")
    assert gw.deployment(current).api == gw.api.definition
    assert (gw.stage("prod").deployment_id, gw.stage("prod").history) == ("v2", ("v1", "v2"))
    assert gw.stage("staging").history == ("v1", "v2", current)
    assert gw.stage("staging").deployment_id == current
    assert (gw.stage("old").deployment_id, gw.stage("old").history) == ("v1", ("v1",))
    assert gw.stage("dev").history == (current,)
    assert gw.deployment("v1").description == "first release"
    assert list(gw.deployment("v1").api.routes) == ["GET /pets"]
    assert gw.deployment("v2").api.binary_media_types == ("image/png",)
    assert [d.id for d in gw.deployments] == ["v1", "v2", current]

    assert gw.client("prod").get("/pets").text == "v2"
    assert gw.client("prod").get("/orders").status_code == 403
    assert gw.rollback("prod").id == "v1"
    assert gw.client("prod").get("/pets").text == "v1"


def test_api_with_no_routes_is_fine_when_every_stage_serves_a_declared_deployment(
    tmp_path: Path,
) -> None:
    gw = _load_good(
        tmp_path,
        """
        api: {routes: {}}
        deployments:
          v1: {routes: {GET /pets: {type: MOCK, body: v1}}}
        stages:
          prod: {deployment: v1}
        """,
    )
    assert gw.api.routes == {}
    assert gw.client("prod").get("/pets").text == "v1"


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    gw = _load_good(
        tmp_path,
        """
        api:
          routes:
            GET /a: &mock {type: MOCK, status: 200, body: a}
            GET /b: {<<: *mock, body: b}
        stages: {dev: {}}
        """,
    )
    assert gw.api.routes["GET /b"].integration.body == "b"
    assert gw.api.routes["GET /b"].integration.status == 200


def test_the_catalogue_is_large() -> None:
    assert len(CASES) >= 30
