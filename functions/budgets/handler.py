"""Lambda entry of the budgets context (API Gateway proxy events)."""

from functions.budgets.router import router
from shared.http.lambda_entry import api_handler

handler = api_handler(router)
