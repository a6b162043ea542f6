"""Lambda entry of the ai context (API Gateway proxy events).

Imports neither TensorFlow nor onnxruntime: forecasts come from the model endpoints through
``shared.services.ai`` (``bench/ai_import.py`` measures this entry's import time)."""

from functions.ai.router import router
from shared.http.lambda_entry import api_handler

handler = api_handler(router)
