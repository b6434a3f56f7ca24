"""The catalog function's two published versions, as the export's Lambda would run them."""

import base64
import json


def v1(event, context):
    return _answer(event, context, "v1")


def v2(event, context):
    return _answer(event, context, "v2")


def _answer(event, context, release):
    if event["resource"] == "/thumbnails":
        picture = base64.b64decode(event["body"]) if event["isBase64Encoded"] else b""
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "image/jpeg", "X-Release": release},
            "body": base64.b64encode(picture[::-1]).decode(),
            "isBase64Encoded": True,
        }
    body = {
        "id": event["pathParameters"]["id"],
        "release": release,
        "version": context.function_version,
        "key": event["requestContext"]["identity"]["apiKey"],
    }
    return {"statusCode": 200, "body": json.dumps(body)}
