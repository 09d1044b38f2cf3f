"""Course tests share the factories of tests/conftest.py (make_course)."""
