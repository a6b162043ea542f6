"""The ai context: cash-flow forecasts, anomalies and recurring series."""
