"""Fitting a scenario to a team's own data: production logs, eval results, and the scenario writer."""
