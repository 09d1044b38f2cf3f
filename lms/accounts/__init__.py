"""Accounts: profiles, passwords, two-factor set-up, and user management by registrars and administrators."""
