"""The outbox sweep: a schedule publishes committed events that were never delivered."""
