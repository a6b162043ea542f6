"""Cash-flow forecasting at run time: the statement lines models read, features, recurring
series, baselines and the exported forecaster (numpy and onnxruntime, never TensorFlow).

Training, evaluation and the serving container live in ``ml/``; they import this package, so the
features a model was trained on are the features it is served with."""
