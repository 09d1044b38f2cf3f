"""Cohorts: named groups of users in an academy (an intake, a class), managed by its registrars."""
