"""Quizzes plugin: question types, question bank, quizzes, attempts, grading, GIFT and Moodle XML."""
