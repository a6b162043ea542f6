"""The budgets context: budgets per category or overall, their progress and alerts."""
