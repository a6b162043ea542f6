"""Lambda entry of the transactions context (API Gateway proxy events)."""

from functions.transactions.router import router
from shared.http.lambda_entry import api_handler

handler = api_handler(router)
