"""Errors the fake answers with, shaped like Discord's JSON error bodies."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Raised anywhere while handling a request; the REST layer turns it into a JSON error response."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def unauthorized() -> ApiError:
    return ApiError(401, 0, "401: Unauthorized")


def not_found(what: str) -> ApiError:
    """Discord's "Unknown X" errors, e.g. ``not_found("Message")``."""
    codes = {
        "Channel": 10003,
        "Guild": 10004,
        "Member": 10007,
        "Message": 10008,
        "User": 10013,
        "Webhook": 10015,
        "Interaction": 10062,
        "Role": 10011,
    }
    return ApiError(404, codes.get(what, 0), f"Unknown {what}")


def invalid_form(field: str, message: str, code: str = "BASE_TYPE_INVALID") -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", {field: {"_errors": [{"code": code, "message": message}]}})
