"""The function a CDK app bundles as an asset."""

import json


def handler(event, context):
    body = {"path": event["path"], "stage": event["requestContext"]["stage"]}
    return {"statusCode": 200, "body": json.dumps(body)}
