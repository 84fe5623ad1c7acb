"""The clinic's notification service: appointment reminders sent exactly once, as a process of its own."""
