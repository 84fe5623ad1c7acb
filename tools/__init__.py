"""Tools run by hand or by make targets (evaluations); nothing here is imported at runtime."""
