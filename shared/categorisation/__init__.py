"""Categorisation: from a statement line to a merchant and a category, with the reason why."""
