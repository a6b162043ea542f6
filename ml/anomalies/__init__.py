"""The anomaly detector's evaluation on labelled demo households and the tuning of its
thresholds on the training households (``ml/artifacts/anomalies.json``). The detector itself
lives in ``shared.anomalies`` (pure Python)."""
