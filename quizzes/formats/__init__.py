"""Question exchange formats (GIFT and Moodle XML): pure functions from text to question dicts and back."""
