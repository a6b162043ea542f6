"""The analytics context: metrics, dashboards, reports, insights and the rollups behind them."""
