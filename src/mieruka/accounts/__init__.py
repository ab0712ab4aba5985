"""Accounts of the reporting cycle: users and roles, Argon2 passwords, server-side sessions, sign-in lock-out.
Every sign-in, failure, lock-out, role change and publish goes to the append-only security log."""
