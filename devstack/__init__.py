"""Local development stack: embedded real services and the `make run` launcher."""
