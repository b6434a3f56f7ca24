"""Lambda handlers, written exactly as they would be deployed to AWS Lambda."""

from __future__ import annotations

import json
import os
from typing import Any

PETS = [
    {"id": 1, "name": "Rex", "species": "dog", "age": 4},
    {"id": 2, "name": "Tom", "species": "cat", "age": 2},
    {"id": 3, "name": "Nemo", "species": "fish", "age": 1},
]


def _json(status: int, body: Any, **headers: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **headers},
        "body": json.dumps(body),
    }


def list_pets_v1(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Version 1: names only."""
    return _json(200, {"pets": [p["name"] for p in PETS]})


def list_pets_v2(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Version 2: full records, optional ?species= filter, and who answered."""
    query = event["queryStringParameters"] or {}
    pets = [p for p in PETS if query.get("species") in (None, p["species"])]
    return _json(
        200,
        {"pets": pets, "table": os.environ["PETS_TABLE"]},
        **{"X-Function-Version": context.function_version},
    )


def get_pet(event: dict[str, Any], context: Any) -> dict[str, Any]:
    pet_id = event["pathParameters"]["id"]
    for pet in PETS:
        if str(pet["id"]) == pet_id:
            return _json(200, pet)
    return _json(404, {"message": f"no pet {pet_id}"})


def create_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """POST /orders: the body is JSON {"pet_id": n, "quantity": n}."""
    try:
        order = json.loads(event["body"] or "")
        pet_id, quantity = int(order["pet_id"]), int(order["quantity"])
    except (ValueError, KeyError, TypeError):
        return _json(400, {"message": "body must be JSON with pet_id and quantity"})
    stage = event["requestContext"]["stage"]
    return _json(201, {"order": {"pet_id": pet_id, "quantity": quantity}, "stage": stage})


def pet_card(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A non-proxy function: its event is what the request template made, its result is
    mapped by the response template, and an error's message selects the 404."""
    for pet in PETS:
        if str(pet["id"]) == event["id"]:
            greeting = "Hola" if event["lang"] == "es" else "Hello"
            return {"text": f"{greeting}, I am {pet['name']} the {pet['species']}"}
    raise LookupError(f"pet {event['id']} not found")
