"""One package per bounded context: a thin Lambda entry and its API router."""
