"""Imports: bank statement files uploaded into an account, and their reports."""
