"""The model server: SageMaker's container contract over the models of ``shared.forecasting``
and ``shared.anomalies``.

- ``GET /ping``: 200 once every model has loaded; 503 with the reason while one cannot (its
  artefact is missing or unreadable). SageMaker sends no traffic to a container that fails it.
- ``POST /invocations``: a JSON payload (``shared.forecasting.invocation``) in, the model's
  JSON answer out. The model is the payload's ``"model"`` or the ``model=…`` of the
  ``X-Amzn-SageMaker-Custom-Attributes`` header. A payload the models cannot read is a 400
  problem naming the field (``where``) and why (``reason``); a model that cannot load is a 503
  and a log line. Nothing a request sends can stop the server.

Run it with ``fluxo ml serve [--host] [--port 8080]`` (a plain process, for development and the
benchmarks) or ``python -m ml.serving``; the image (``ml/serving/Dockerfile``) runs the latter
as its ``serve`` command, which is how SageMaker starts a container. The server is the standard
library's threaded HTTP server: one forecast is a few milliseconds of onnxruntime and numpy, so
a framework would only add to each request (``bench/ml_serving.py`` measures it). The process
imports numpy, onnxruntime, holidays and the project's own code, nothing else: the image carries
only those.
"""
