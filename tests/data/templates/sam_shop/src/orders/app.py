import json
import os

import utils


def lambda_handler(event, context):
    if event["httpMethod"] == "POST":
        body = json.loads(event["body"] or "{}")
        answer = {"created": utils.order(int(body.get("id", 0)))}
        status = 201
    else:
        answer = {"orders": [utils.order(1), utils.order(2)]}
        status = 200
    answer.update(
        service=utils.SERVICE,
        function=context.function_name,
        version=context.function_version,
        arn=context.invoked_function_arn,
        table=os.environ["TABLE_NAME"],
        log_level=os.environ["LOG_LEVEL"],
        greeting=(event["stageVariables"] or {}).get("greeting"),
        stage=event["requestContext"]["stage"],
    )
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(answer),
    }
