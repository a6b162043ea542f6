"""Lambda entry of the analytics context (API Gateway proxy events)."""

from functions.analytics.router import router
from shared.http.lambda_entry import api_handler

handler = api_handler(router)
