"""API Gateway sends /v1/{first segment}/… to one context's function: every route a context
serves must start with one of the segments the stack routes to it, or it is unreachable on AWS."""

from __future__ import annotations

from shared.http.app import discover_routers
from stacks.region import API_CONTEXTS
from tests.support.routes import served_paths


def test_every_route_of_a_context_is_under_a_prefix_the_stack_routes_to_it() -> None:
    for context, segments in API_CONTEXTS.items():
        (router,) = discover_routers([context])
        paths = served_paths(router)
        assert paths, context
        for path in paths:
            assert path.startswith("/v1/"), (context, path)
            assert path.removeprefix("/v1/").split("/")[0] in segments, (context, path)


def test_no_two_contexts_share_a_segment() -> None:
    owners: dict[str, str] = {}
    for context, segments in API_CONTEXTS.items():
        for segment in segments:
            assert owners.setdefault(segment, context) == context, segment
