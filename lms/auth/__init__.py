"""Signing in and out, two-factor sign-in, password reset, invitations and self-registration."""
