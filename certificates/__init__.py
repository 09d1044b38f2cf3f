"""Certificates plugin: accreditation, certificates, verification, transcripts."""
