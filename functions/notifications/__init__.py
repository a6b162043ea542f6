"""The notifications context: people's notification preferences and what was sent to them."""
