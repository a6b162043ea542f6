"""Analytics: metrics over rollups (or raw rows where rollups cannot answer), dashboards,
insights and reports (docs/analytics.md)."""
