"""Patient verification: one-time codes by SMS, and the verified state they grant."""
