"""Typed errors of the Direct client: each carries the HTTP status, the server's message and
the endpoint, and never a secret."""

from __future__ import annotations

from typing import Any


class DirectError(Exception):
    """Base of every error the client raises."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        endpoint: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.endpoint = endpoint
        self.payload = payload or {}
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f" ({self.endpoint}, HTTP {self.status})" if self.endpoint else ""
        return f"{self.message}{where}"


class InvalidInput(DirectError, ValueError):
    """Bad input, refused before any request leaves the machine; names the field."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")
