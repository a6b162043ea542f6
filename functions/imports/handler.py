"""Lambda entry of the imports context (API Gateway proxy events)."""

from functions.imports.router import router
from shared.http.lambda_entry import api_handler

handler = api_handler(router)
