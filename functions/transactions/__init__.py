"""Transactions: accounts, categories, tags and transactions."""
