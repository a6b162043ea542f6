"""Lambda entry of the notifications context (API Gateway proxy events)."""

from functions.notifications.router import router
from shared.http.lambda_entry import api_handler

handler = api_handler(router)
