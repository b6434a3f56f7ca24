"""Helpers of the users function (the orders function has a utils.py of its own)."""

SERVICE = "users"


def user(user_id: str) -> dict[str, str]:
    return {"id": user_id, "name": f"user-{user_id}"}
