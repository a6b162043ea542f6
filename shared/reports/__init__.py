"""Reports: custom reports run on demand (``POST /v1/reports``) and the scheduled monthly and
weekly reports (``fluxo reports run``), their definitions and their renderers."""
