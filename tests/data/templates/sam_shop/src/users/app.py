import base64
import json
import os

import utils


def lambda_handler(event, context):
    answer = {
        "service": utils.SERVICE,
        "function": context.function_name,
        "version": context.function_version,
        "table": os.environ["TABLE_NAME"],
        "log_level": os.environ["LOG_LEVEL"],
        "stage": event["requestContext"]["stage"],
        "variables": event["stageVariables"],
    }
    if event["resource"] == "/users/{id}":
        answer["user"] = utils.user(event["pathParameters"]["id"])
    elif event["resource"] == "/users/{id}/avatar":
        raw = base64.b64decode(event["body"]) if event["isBase64Encoded"] else event["body"]
        answer["avatar"] = {"base64": event["isBase64Encoded"], "bytes": len(raw)}
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(answer),
    }
