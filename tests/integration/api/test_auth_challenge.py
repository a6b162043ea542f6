"""The 401 challenge follows RFC 6750: an error code only when a token was sent and refused."""

from tests.support.api import problem


def test_without_credentials_the_challenge_names_no_error(client):
    response = client.get("/v1/accounts")
    problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_with_a_refused_token_the_challenge_says_invalid_token(client):
    response = client.get("/v1/accounts", headers={"Authorization": "Bearer not-a-jwt"})
    problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_an_unexpected_error_still_carries_the_correlation_id(client, owner, monkeypatch):
    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    container = client.app.state.container
    monkeypatch.setattr(type(container.accounts), "list", explode)
    response = owner.get("/v1/accounts", headers={"X-Correlation-Id": "trace-123"})
    body = problem(response, 500)
    assert "boom" not in response.text
    assert body["title"] == "Internal error"
    assert response.headers["X-Correlation-Id"] == "trace-123"
