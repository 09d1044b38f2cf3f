"""xAPI 1.0.3: statements built from the learning records (statements.py), the outbox of statements for an
academy's learning record store and its settings (models.py), the push (push.py), the settings pages (views.py)
and the registration of receivers, job kind, command, retention and personal data (setup.py)."""
