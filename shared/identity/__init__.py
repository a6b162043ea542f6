"""The identity port's adapters: bearer token in, ``Principal`` out (or ``Unauthenticated``).

``LocalDevIssuer`` signs and verifies dev tokens with a key in FLUXO_HOME; ``CognitoVerifier``
verifies Cognito user-pool tokens. ``shared.bootstrap`` chooses between them.
"""

from shared.identity.cognito import CognitoVerifier
from shared.identity.local import LocalDevIssuer

__all__ = ["CognitoVerifier", "LocalDevIssuer"]
