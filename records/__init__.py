"""Records for academies: completion exports (CSV, XLSX, JSON, xAPI), pushes to a Learning Record Store, and the
REST API ``/api/v1`` with academy-scoped tokens. A plugin, not part of the core, because it reads what the courses,
quizzes and certificates plugins hold (the core never imports a plugin)."""
