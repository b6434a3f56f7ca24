"""Helpers of the orders function (the users function has a utils.py of its own)."""

SERVICE = "orders"


def order(number: int) -> dict[str, object]:
    return {"id": number, "service": SERVICE}
