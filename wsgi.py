"""WSGI entry point: builds the app from the environment (LMS_* variables and instance/), nothing else."""

from lms import create_app

app = create_app()
