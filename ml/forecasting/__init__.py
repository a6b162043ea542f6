"""The cash-flow forecaster's data, training and rolling-origin back-test (``fluxo ml train``,
``fluxo ml evaluate``); what it serves lives in ``shared.forecasting.forecaster``."""
