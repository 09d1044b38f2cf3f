"""The core's documented signals (blinker). Services send them after their transaction commits.

Receivers get the sender (the Flask app) and keyword arguments named below.
"""

from blinker import Namespace

_signals = Namespace()

#: A user signed in. kwargs: ``user``.
user_signed_in = _signals.signal("user-signed-in")
#: A user signed out. kwargs: ``user``.
user_signed_out = _signals.signal("user-signed-out")
#: An account was created (by a registrar, an import, an invitation or self-registration). kwargs: ``user``, ``actor``.
user_created = _signals.signal("user-created")
#: An account was deactivated. kwargs: ``user``, ``actor``.
user_deactivated = _signals.signal("user-deactivated")
#: An administrator anonymised an account (lms.privacy); receivers erase the personal data they keep about the
#: user (the row stays, with a neutral name). kwargs: ``user``, ``actor``.
user_anonymised = _signals.signal("user-anonymised")
#: A role was granted or removed. kwargs: ``user``, ``academy``, ``role``, ``granted`` (bool), ``actor``.
role_changed = _signals.signal("role-changed")
#: A learner was enrolled in a course (by themselves, a registrar, a cohort, an import or the API), or re-enrolled.
#: kwargs: ``user``, ``course``, ``enrolment``. Sent by the courses plugin.
course_enrolled = _signals.signal("course-enrolled")
#: A learner completed a lesson. kwargs: ``user``, ``lesson_id``, ``enrolment``. Sent by the courses plugin.
lesson_completed = _signals.signal("lesson-completed")
#: A learner met a course's completion rule, sent exactly once. kwargs: ``user``, ``course``, ``enrolment``.
course_completed = _signals.signal("course-completed")
#: A learner started a quiz attempt. kwargs: ``attempt``. Sent by the quizzes plugin.
attempt_started = _signals.signal("attempt-started")
#: A quiz attempt was graded (automatically or by a trainer). kwargs: ``attempt``. Sent by the quizzes plugin.
attempt_graded = _signals.signal("attempt-graded")
#: A certificate was issued. kwargs: ``certificate``. Sent by the certificates plugin.
certificate_issued = _signals.signal("certificate-issued")
#: A certificate was revoked. kwargs: ``certificate``, ``actor``.
certificate_revoked = _signals.signal("certificate-revoked")
