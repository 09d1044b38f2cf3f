"""Courses plugin: catalog, courses, modules, lessons, enrolments, progress and course packages."""
