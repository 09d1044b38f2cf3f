"""Course factories."""

from __future__ import annotations

import pytest

from courses import authoring
from courses.models import CompletionMode


@pytest.fixture
def make_course(db, academy):
    counter = iter(range(1, 10_000))

    def make(
        *, modules: int = 2, lessons: int = 2, academy_=None, publish: bool = True, sequential: bool = False, **fields
    ):
        n = next(counter)
        spec = authoring.CourseFields(
            title=fields.pop("title", f"Course {n}"),
            slug=fields.pop("slug", f"course-{n}"),
            self_enrolment=fields.pop("self_enrolment", True),
            **fields,
        )
        course = authoring.create_course(None, academy_ or academy, spec)
        previous = None
        for m in range(modules):
            module = authoring.add_module(
                None, course, f"Module {m + 1}", requires=[previous.id] if sequential and previous else []
            )
            for i in range(lessons):
                authoring.add_lesson(
                    None,
                    module,
                    authoring.LessonFields(
                        title=f"Lesson {m + 1}.{i + 1}",
                        body_markdown=f"## Part {i}\n\nText of lesson {m + 1}.{i + 1}.",
                        completion_mode=CompletionMode.MARK,
                    ),
                )
            previous = module
        if publish:
            authoring.publish(None, course)
        return course

    return make
