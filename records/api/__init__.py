"""The REST API ``/api/v1`` for academies' systems."""
