"""The HTTP edge: the FastAPI app, authentication, problem+json. Status codes live only here."""
