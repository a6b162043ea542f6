"""The budgets context: budgets per category or overall, their progress and alerts; savings
goals, their progress and milestones."""
