"""The HTTP names the API speaks, shared by the app and the CDK app's CORS settings."""

from __future__ import annotations

CORRELATION_HEADER = "X-Correlation-Id"
WORKSPACE_HEADER = "X-Fluxo-Workspace"
REPLAY_HEADER = "Idempotent-Replayed"

CORS_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
CORS_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "If-Match",
    "Idempotency-Key",
    WORKSPACE_HEADER,
    CORRELATION_HEADER,
)
CORS_RESPONSE_HEADERS = ("ETag", CORRELATION_HEADER, REPLAY_HEADER)
