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
