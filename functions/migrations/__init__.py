"""Deploy-time schema migrations: the function a CDK trigger runs (see ``handler``)."""
