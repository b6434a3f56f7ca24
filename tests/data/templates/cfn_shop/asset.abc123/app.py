import json
import os


def handler(event, context):
    body = {
        "items": ["kettle", "teapot"],
        "function": context.function_name,
        "version": context.function_version,
        "environment": os.environ["ENVIRONMENT"],
        "alias": event["stageVariables"]["itemsAlias"],
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }
