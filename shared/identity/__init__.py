"""The identity port's adapters: bearer token in, ``Principal`` out (or ``Unauthenticated``).

``shared.identity.local.LocalDevIssuer`` signs and verifies dev tokens with a key in FLUXO_HOME;
``shared.identity.cognito.CognitoVerifier`` verifies Cognito user-pool tokens;
``shared.identity.gateway.GatewayClaims`` reads the claims API Gateway's authorizer verified.
``shared.bootstrap`` chooses between them. Nothing is imported here: behind API Gateway a
function needs neither JWT nor cryptography.
"""
