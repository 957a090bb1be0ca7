"""The simulated world: drifted daily parameters, users, query traffic and model outcomes."""
