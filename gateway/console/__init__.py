"""The staff console's domain: people who sign in (staff users), their passwords and their sessions.

HTTP lives in gateway/api/console.py; operators create and disable users with `python -m gateway.cli staff`.
"""
