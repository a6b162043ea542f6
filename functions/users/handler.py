"""Lambda entry of the users context (API Gateway proxy events)."""

from functions.users.router import router
from shared.http.lambda_entry import api_handler

handler = api_handler(router)
