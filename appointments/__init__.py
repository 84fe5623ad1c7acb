"""The clinic domain: specialties, doctors, patients (and, later, schedules and bookings)."""
