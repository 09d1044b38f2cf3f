"""Course packages (docs/course-package.md): export a course to a folder or zip, import one all or nothing.

:func:`check_package` reads and validates everything first (course.yaml, every lesson file, media, and what
the plugins' :class:`PackagePart` entries own, such as quizzes) and reports each problem with its file, line and
field. :func:`import_package` applies a valid package in one transaction: a new course is created; an existing
course with the same slug is updated in place (modules and lessons matched by slug keep their ids, so learners'
progress stays), and published again when the package says so. Importing a package identical to what the
course already exports changes nothing, so loading the same package twice is harmless.

Export -> import -> export gives the same package byte for byte: files are UTF-8 with LF endings and one
trailing newline, YAML keys are written in a fixed order, and zips have fixed timestamps and sorted members.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from courses import languages
from courses import media as media_store
from courses.authoring import SLUG_RE, VIDEO_HOSTS, CourseFields, _apply_fields, freeze_version
from courses.models import CompletionMode, Course, CourseStatus, Lesson, Module
from courses.package_source import PackageFiles, PackageRefusedError, YamlError, dump_yaml, load_yaml, read_package
from lms import audit
from lms.exceptions import DomainError
from lms.extensions import db
from lms.models import PROFESSIONS, Academy, User
from lms.registry import registry

FORMAT = 1
COURSE_FILE = "course.yaml"
COURSE_KEYS = (
    "format", "slug", "title", "summary", "language", "status", "translations", "professions", "topics",
    "estimated_hours", "self_enrolment", "restricted", "prerequisites", "completion", "accreditation", "modules",
    "final_quiz",
)  # fmt: skip
MODULE_KEYS = ("slug", "title", "translations", "summary", "requires", "lessons", "quiz")
LESSON_KEYS = (
    "slug", "title", "translations", "required", "completion_mode", "content_notice", "restricted", "video_url",
)  # fmt: skip
MEDIA_LINK_RE = re.compile(r"\(media/([^)\s]+)\)|(?:src|href)=\"media/([^\"]+)\"")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# Keys of the format that only a plugin's PackagePart reads (quizzes, accreditation).
PART_COURSE_KEYS = ("accreditation", "final_quiz")
PART_MODULE_KEYS = ("quiz",)


# --- problems --------------------------------------------------------------------------------------------------


@dataclass
class Problems:
    """What is wrong with a package: each with file, line (or None), field and message."""

    items: list[dict] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)

    def add(self, message: str, field: str = "", file: str = COURSE_FILE, line: int | None = None) -> None:
        if line is None and file == COURSE_FILE:
            line = self._line(field)
        self.items.append({"file": file, "line": line, "field": field, "message": message})

    def _line(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", path)
        return self.lines.get("")

    def __bool__(self) -> bool:
        return bool(self.items)


class PackageInvalidError(Exception):
    """The package has problems; nothing was written."""

    def __init__(self, problems: list[dict]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def format_problem(problem: dict) -> str:
    """``file:line: field: message`` as the command line prints it."""
    where = problem["file"] + (f":{problem['line']}" if problem.get("line") else "")
    return (
        f"{where}: {problem['field']}: {problem['message']}"
        if problem.get("field")
        else f"{where}: {problem['message']}"
    )


# --- plugin parts ----------------------------------------------------------------------------------------------


@dataclass
class PartInput:
    """What a part validates: its keys of course.yaml (course level and per module), its files, and where to
    report problems (field paths as in course.yaml, e.g. ``modules[2].quiz.pass_mark``)."""

    course: dict[str, Any]
    modules: list[tuple[str, str, dict[str, Any]]]  # (module slug, field path prefix, the module's part keys)
    files: dict[str, bytes]
    problems: Problems
    language: str
    translations: list[str]


@dataclass
class PartOutput:
    course: dict[str, Any] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)  # module slug -> keys
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class PackagePart:
    """A plugin's share of course packages, registered in ``registry("course_package_parts")``.

    ``check(PartInput) -> plan`` validates (adding problems, never writing); ``apply(course, plan, modules)``
    writes inside the import's transaction (``modules``: slug -> Module, flushed); ``export(course)`` returns a
    :class:`PartOutput`. ``folder`` is the top-level folder whose files the part owns.
    """

    name: str
    check: Callable[[PartInput], Any]
    apply: Callable[[Course, Any, dict[str, Module]], None]
    export: Callable[[Course], PartOutput]
    course_keys: tuple[str, ...] = ()
    module_keys: tuple[str, ...] = ()
    folder: str | None = None


def package_parts() -> list[PackagePart]:
    return list(registry("course_package_parts").values())


# --- the plan a valid package describes ------------------------------------------------------------------------


@dataclass
class LessonPlan:
    slug: str
    title: str
    body: str
    required: bool = True
    completion_mode: CompletionMode = CompletionMode.MARK
    content_notice: str | None = None
    restricted: bool = False
    video_url: str | None = None
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class ModulePlan:
    slug: str
    title: str
    summary: str = ""
    requires: list[str] = field(default_factory=list)
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    lessons: list[LessonPlan] = field(default_factory=list)


@dataclass
class PackagePlan:
    fields: CourseFields
    status: CourseStatus
    translations: dict[str, dict[str, str]]
    modules: list[ModulePlan]
    media: dict[str, bytes]
    parts: dict[str, Any]
    files: dict[str, bytes] = field(compare=False)  # the same plan may come from differently written files

    @property
    def slug(self) -> str:
        return self.fields.slug


@dataclass
class ImportResult:
    slug: str
    action: str  # created | updated | unchanged | checked
    modules: int
    lessons: int
    media: int
    version: int | None = None


# --- validation ------------------------------------------------------------------------------------------------


class _Reader:
    """Typed access to one mapping of course.yaml, reporting problems under ``path``."""

    def __init__(self, data: dict, path: str, problems: Problems) -> None:
        self.data, self.path, self.problems = data, path, problems

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def text(self, key: str, *, required: bool = False, max_length: int = 300, default: str = "") -> str:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.problems.add(_("Required."), self.at(key))
            return default
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.problems.add(_("Must be text."), self.at(key))
            return default
        value = str(value).strip()
        if len(value) > max_length:
            self.problems.add(_("At most %(n)d characters.", n=max_length), self.at(key))
        return value

    def optional_text(self, key: str, max_length: int = 2000) -> str | None:
        return self.text(key, max_length=max_length) or None

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problems.add(_("Must be true or false."), self.at(key))
            return default
        return value

    def slug(self, key: str = "slug") -> str:
        value = self.text(key, required=True, max_length=100)
        if value and not SLUG_RE.match(value):
            self.problems.add(_("Use lowercase letters, digits and hyphens."), self.at(key))
        return value

    def strings(self, key: str) -> list[str]:
        value = self.data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problems.add(_("Must be a list of names."), self.at(key))
            return []
        return value

    def mapping(self, key: str) -> dict:
        value = self.data.get(key) or {}
        if not isinstance(value, dict):
            self.problems.add(_("Must be a mapping of keys to values."), self.at(key))
            return {}
        return value

    def unknown_keys(self, known: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in known:
                self.problems.add(_("Unknown key."), self.at(key))


def check_package(path: Path) -> PackagePlan:
    """Read and validate a package; raise :class:`PackageInvalidError` with every problem found (nothing written)."""
    try:
        package = read_package(path)
    except PackageRefusedError as exc:
        raise PackageInvalidError([{"file": exc.file, "line": None, "field": "", "message": exc.message}]) from exc
    return check_files(package)


def check_files(package: PackageFiles) -> PackagePlan:
    """Validate a package already in memory (see :func:`check_package`)."""
    problems = Problems()
    data = _course_yaml(package, problems)
    if problems:
        raise PackageInvalidError(problems.items)
    plan = _plan(data, package, problems)
    if problems:
        raise PackageInvalidError(problems.items)
    return plan


def _course_yaml(package: PackageFiles, problems: Problems) -> dict:
    if COURSE_FILE not in package.files:
        problems.add(_("The package has no course.yaml."), file=COURSE_FILE, line=None)
        return {}
    try:
        data, problems.lines = load_yaml(package.text(COURSE_FILE))
    except UnicodeDecodeError:
        problems.add(_("Not UTF-8 text."), line=None)
        return {}
    except YamlError as exc:
        problems.add(_("Not valid YAML: %(error)s", error=exc.message), line=exc.line)
        return {}
    if not isinstance(data, dict):
        problems.add(_("course.yaml must be a mapping of keys to values."), line=1)
        return {}
    return data


def _plan(data: dict, package: PackageFiles, problems: Problems) -> PackagePlan:
    parts = package_parts()
    course_part_keys = {k for p in parts for k in p.course_keys}
    module_part_keys = {k for p in parts for k in p.module_keys}
    reader = _Reader(data, "", problems)
    reader.unknown_keys(tuple(k for k in COURSE_KEYS if k not in PART_COURSE_KEYS) + tuple(course_part_keys))
    if data.get("format") != FORMAT:
        problems.add(_("Give the package format: 'format: %(n)d'.", n=FORMAT), "format")
    languages = current_app.config["LMS_LANGUAGES"]
    language = reader.text("language", required=True, max_length=16)
    if language and language not in languages:
        problems.add(_("Unknown language '%(value)s'.", value=language), "language")
    translations = _translations(reader, "translations", ("title", "summary"), languages, language)
    fields = _course_fields(reader, problems, language)
    status = _status(reader)
    modules = _modules(data.get("modules"), package, problems, module_part_keys, languages, language)
    if status != CourseStatus.DRAFT and not any(m.lessons for m in modules):
        problems.add(_("A published course needs at least one module with a lesson."), "status")
    media = _media(package, problems)
    _check_links(modules, media, package, problems)
    known = {COURSE_FILE} | _lesson_files(modules) | {f"media/{n}" for n in media}
    owned = {p.folder for p in parts if p.folder}
    for name in sorted(package.files):
        if name not in known and name.split("/", 1)[0] not in owned and not _is_note(name):
            problems.add(_("This file is not part of the package format (misnamed?)."), file=name)
    part_plans = {}
    module_rows = [(m.slug, f"modules[{i}]", data["modules"][i]) for i, m in enumerate(modules)] if modules else []
    for part in parts:
        part_input = PartInput(
            course={k: data[k] for k in part.course_keys if k in data},
            modules=[
                (slug, path, {k: raw[k] for k in part.module_keys if k in raw}) for slug, path, raw in module_rows
            ],
            files={n: b for n, b in package.files.items() if part.folder and n.startswith(part.folder + "/")},
            problems=problems,
            language=language,
            translations=sorted(translations),
        )
        part_plans[part.name] = part.check(part_input)
    return PackagePlan(fields, status, translations, modules, media, part_plans, dict(package.files))


def _is_note(name: str) -> bool:
    return "/" not in name and name.lower().endswith((".md", ".txt")) and name != COURSE_FILE


def _translations(reader: _Reader, key: str, allowed: tuple[str, ...], languages, source: str) -> dict:
    result = {}
    for lang, values in reader.mapping(key).items():
        path = f"{reader.at(key)}.{lang}"
        if lang not in languages or lang == source:
            reader.problems.add(_("Not another language of this installation: '%(value)s'.", value=lang), path)
            continue
        if not isinstance(values, dict):
            reader.problems.add(_("Must be a mapping of keys to values."), path)
            continue
        sub = _Reader(values, path, reader.problems)
        sub.unknown_keys((*allowed, "outdated"))
        result[lang] = {k: sub.text(k, max_length=300 if k == "title" else 5000) for k in allowed if k in values}
        if sub.flag("outdated", False):
            result[lang]["outdated"] = True  # kept by languages.stamp as an empty source hash
    return result


def _course_fields(reader: _Reader, problems: Problems, language: str) -> CourseFields:
    professions = reader.strings("professions")
    for p in professions:
        if p not in PROFESSIONS:
            problems.add(_("Unknown profession '%(value)s'.", value=p), "professions")
    topics = reader.strings("topics")
    for t in topics:
        if not SLUG_RE.match(t):
            problems.add(_("Topics use lowercase letters, digits and hyphens: '%(value)s'.", value=t), "topics")
    return CourseFields(
        title=reader.text("title", required=True),
        slug=reader.slug(),
        summary=reader.text("summary", max_length=5000),
        language=language,
        professions=professions,
        topics=topics,
        estimated_hours=_hours(reader),
        self_enrolment=reader.flag("self_enrolment", False),
        restricted=reader.flag("restricted", False),
        completion_rule=_completion(reader),
        prerequisite_ids=_prerequisites(reader),
    )


def _hours(reader: _Reader) -> Decimal:
    value = reader.data.get("estimated_hours", 1)
    try:
        hours = Decimal(str(value)) if not isinstance(value, bool) else Decimal("NaN")
    except InvalidOperation:
        hours = Decimal("NaN")
    if not hours.is_finite() or hours <= 0 or hours > 10000:
        reader.problems.add(_("Give the estimated hours as a positive number."), "estimated_hours")
        return Decimal("1")
    return hours.quantize(Decimal("0.1"))


def _completion(reader: _Reader) -> dict:
    rule = reader.mapping("completion")
    sub = _Reader(rule, "completion", reader.problems)
    sub.unknown_keys(("required_lessons", "quizzes_passed"))
    if rule.get("required_lessons", "all") != "all":
        reader.problems.add(_("Only 'all' is supported (every lesson marked required)."), "completion.required_lessons")
    result = {"required_lessons": "all"}
    if "quizzes_passed" in rule:
        result["quizzes_passed"] = sub.flag("quizzes_passed", False)
    return result


def _prerequisites(reader: _Reader) -> list[int]:
    slugs = reader.strings("prerequisites")
    if not slugs:
        return []
    found = dict(db.session.execute(select(Course.slug, Course.id).where(Course.slug.in_(slugs))).all())
    for slug in slugs:
        if slug not in found:
            reader.problems.add(_("No course '%(value)s' on this installation.", value=slug), "prerequisites")
    return [found[s] for s in slugs if s in found]


def _status(reader: _Reader) -> CourseStatus:
    value = reader.data.get("status", "draft")
    try:
        return CourseStatus(value)
    except ValueError:
        reader.problems.add(_("Use draft, published or archived."), "status")
        return CourseStatus.DRAFT


def _modules(raw, package: PackageFiles, problems: Problems, part_keys: set, languages, source: str) -> list:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add(_("Must be a list of modules."), "modules")
        return []
    modules, seen = [], set()
    for i, item in enumerate(raw):
        path = f"modules[{i}]"
        if not isinstance(item, dict):
            problems.add(_("Must be a mapping of keys to values."), path)
            continue
        reader = _Reader(item, path, problems)
        reader.unknown_keys(tuple(k for k in MODULE_KEYS if k not in PART_MODULE_KEYS) + tuple(part_keys))
        module = ModulePlan(
            slug=reader.slug(),
            title=reader.text("title", required=True),
            summary=reader.text("summary", max_length=5000),
            requires=reader.strings("requires"),
            translations=_translations(reader, "translations", ("title", "summary"), languages, source),
        )
        if module.slug in seen:
            problems.add(_("Another module already uses this slug."), f"{path}.slug")
        seen.add(module.slug)
        module.lessons = _lessons(item.get("lessons"), module, path, package, problems, languages, source)
        modules.append(module)
    _check_requires(modules, problems)
    return modules


def _check_requires(modules: list[ModulePlan], problems: Problems) -> None:
    slugs = {m.slug for m in modules}
    for i, module in enumerate(modules):
        for required in module.requires:
            if required == module.slug or required not in slugs:
                problems.add(_("No other module '%(value)s' in this course.", value=required), f"modules[{i}].requires")


def _lessons(raw, module: ModulePlan, mpath: str, package, problems: Problems, languages, source) -> list:
    if not isinstance(raw, list):
        if raw is not None:
            problems.add(_("Must be a list of lessons."), f"{mpath}.lessons")
        return []
    lessons, seen = [], set()
    for j, item in enumerate(raw):
        path = f"{mpath}.lessons[{j}]"
        if not isinstance(item, dict):
            problems.add(_("Must be a mapping of keys to values."), path)
            continue
        lesson = _lesson(_Reader(item, path, problems), module, package, languages, source)
        if lesson.slug in seen:
            problems.add(_("Another lesson of this module already uses this slug."), f"{path}.slug")
        seen.add(lesson.slug)
        lessons.append(lesson)
    return lessons


def _lesson(reader: _Reader, module: ModulePlan, package: PackageFiles, languages, source: str) -> LessonPlan:
    reader.unknown_keys(LESSON_KEYS)
    slug = reader.slug()
    mode = reader.data.get("completion_mode", "mark")
    if mode not in ("mark", "view"):
        reader.problems.add(_("Use mark or view."), reader.at("completion_mode"))
        mode = "mark"
    video = reader.optional_text("video_url", 500)
    if video and not video.startswith(VIDEO_HOSTS):
        reader.problems.add(_("Link a video on YouTube or Vimeo (https)."), reader.at("video_url"))
    translations = _translations(reader, "translations", ("title", "content_notice"), languages, source)
    base = f"lessons/{module.slug}/{slug}"
    body = _lesson_file(package, f"{base}.md", reader.problems, required=True)
    for lang in translations:
        translations[lang]["body_markdown"] = _lesson_file(package, f"{base}.{lang}.md", reader.problems, True)
    return LessonPlan(
        slug=slug,
        title=reader.text("title", required=True),
        body=body,
        required=reader.flag("required", True),
        completion_mode=CompletionMode(mode),
        content_notice=reader.optional_text("content_notice"),
        restricted=reader.flag("restricted", False),
        video_url=video,
        translations=translations,
    )


def _lesson_file(package: PackageFiles, name: str, problems: Problems, required: bool) -> str:
    if name not in package.files:
        if required:
            problems.add(_("The lesson file is missing."), file=name)
        return ""
    try:
        return package.text(name).rstrip("\n")
    except UnicodeDecodeError as exc:
        problems.add(_("Not UTF-8 text (byte %(n)d).", n=exc.start), file=name)
        return ""


def _lesson_files(modules: list[ModulePlan]) -> set[str]:
    names = set()
    for module in modules:
        for lesson in module.lessons:
            names.add(f"lessons/{module.slug}/{lesson.slug}.md")
            names.update(f"lessons/{module.slug}/{lesson.slug}.{lang}.md" for lang in lesson.translations)
    return names


def _media(package: PackageFiles, problems: Problems) -> dict[str, bytes]:
    media = {}
    for name, data in package.files.items():
        if not name.startswith("media/"):
            continue
        filename = name[len("media/") :]
        try:
            clean, _type = media_store.check_media(filename, data)
        except DomainError as exc:
            problems.add(exc.message, file=name)
            continue
        if clean != filename:
            problems.add(_("Use letters, digits, '.', '-' and '_' in media file names."), file=name)
            continue
        media[filename] = data
    return media


def _check_links(modules: list[ModulePlan], media: dict[str, bytes], package: PackageFiles, problems) -> None:
    """Every ``media/...`` link of a lesson names a file of the package."""
    for module in modules:
        for lesson in module.lessons:
            bodies = {"": lesson.body} | {lang: t.get("body_markdown", "") for lang, t in lesson.translations.items()}
            for lang, body in bodies.items():
                name = f"lessons/{module.slug}/{lesson.slug}{'.' + lang if lang else ''}.md"
                for number, line in enumerate(body.split("\n"), start=1):
                    for match in MEDIA_LINK_RE.finditer(line):
                        target = match.group(1) or match.group(2)
                        if target not in media and f"media/{target}" not in package.files:
                            problems.add(_("The linked file media/%(name)s is not in the package.", name=target),
                                         file=name, line=number)  # fmt: skip


# --- import ----------------------------------------------------------------------------------------------------


def import_package(
    path: Path, *, academy: Academy | None = None, actor: User | None = None, dry_run: bool = False
) -> ImportResult:
    """Validate the package at ``path`` and (unless ``dry_run``) apply it all or nothing.

    ``academy`` owns a new course (an existing course keeps its academy); ``actor`` None means the command
    line. Raises :class:`PackageInvalidError` (nothing written) when anything in the package is wrong, and
    DomainError (field "academy") when the actor may not import it there.
    """
    plan = check_package(path)
    return apply_plan(plan, academy=academy, actor=actor, dry_run=dry_run)


def apply_plan(plan: PackagePlan, *, academy: Academy | None, actor: User | None, dry_run: bool) -> ImportResult:
    """Write a checked plan in one transaction (see :func:`import_package`)."""
    course = db.session.scalar(select(Course).where(Course.slug == plan.slug))
    counts = dict(modules=len(plan.modules), lessons=sum(len(m.lessons) for m in plan.modules), media=len(plan.media))
    target = course.academy if course else academy
    problem = _ownership_problem(course, target, actor)
    if problem:
        raise DomainError(problem, field="academy")
    if dry_run:
        return ImportResult(plan.slug, "checked", **counts)
    if course is not None and _plan_of(course) == plan:
        return ImportResult(plan.slug, "unchanged", version=_version_number(course), **counts)
    try:
        action, version = _write(plan, course, target, actor)
    except Exception:
        db.session.rollback()
        raise
    return ImportResult(plan.slug, action, version=version, **counts)


def _ownership_problem(course: Course | None, academy: Academy | None, actor: User | None) -> str | None:
    if academy is None:
        return _("Name the academy that will own the course (--academy).")
    if actor is None:
        return None
    if course is not None and not course.user_can_edit(actor):
        return _("Another academy's course already uses this slug.")
    if not (actor.is_admin or "trainer" in actor.roles_in(academy.id)):
        return _("You cannot create courses for %(academy)s.", academy=academy.name)
    return None


def _plan_of(course: Course) -> PackagePlan | None:
    """What the course's own export describes, to compare with a package (None when it would not validate)."""
    try:
        return check_files(PackageFiles(export_files(course)))
    except PackageInvalidError:
        return None


def _version_number(course: Course) -> int | None:
    return course.current_version.number if course.current_version else None


def _write(plan: PackagePlan, course: Course | None, academy: Academy, actor: User | None) -> tuple[str, int | None]:
    action = "updated" if course else "created"
    if course is None:
        course = Course(academy=academy, created_by_id=actor.id if actor else None)
        db.session.add(course)
    _apply_fields(course, plan.fields)
    course.translations = languages.stamp(plan.translations, languages.object_hash("course", course))
    by_slug = _write_outline(course, plan.modules)
    _write_media(course, plan.media, actor)
    for part in package_parts():
        part.apply(course, plan.parts.get(part.name), by_slug)
    version = _write_status(course, plan.status, actor)
    audit.record(
        "course.imported",
        actor=actor,
        obj=course,
        academy_id=course.academy_id,
        details={"slug": course.slug, "action": action, "version": version},
    )
    db.session.commit()
    return action, version


def _write_outline(course: Course, modules: list[ModulePlan]) -> dict[str, Module]:
    existing = {m.slug: m for m in course.modules}
    kept = []
    for position, plan in enumerate(modules, start=1):
        module = existing.pop(plan.slug, None) or Module(slug=plan.slug)
        module.position, module.title, module.summary = position, plan.title, plan.summary
        module.translations = languages.stamp(plan.translations, languages.object_hash("module", module))
        _write_lessons(module, plan.lessons)
        kept.append(module)
    course.modules = kept  # modules left in `existing` are deleted with their lessons (delete-orphan)
    db.session.flush()
    by_slug = {m.slug: m for m in kept}
    for module, plan in zip(kept, modules, strict=True):
        module.requires = sorted(by_slug[s].id for s in plan.requires)
    return by_slug


def _write_lessons(module: Module, lessons: list[LessonPlan]) -> None:
    existing = {lesson.slug: lesson for lesson in module.lessons}
    kept = []
    for position, plan in enumerate(lessons, start=1):
        lesson = existing.pop(plan.slug, None) or Lesson(slug=plan.slug)
        lesson.position, lesson.title, lesson.body_markdown = position, plan.title, plan.body
        lesson.required, lesson.completion_mode = plan.required, plan.completion_mode
        lesson.content_notice, lesson.restricted, lesson.video_url = (
            plan.content_notice,
            plan.restricted,
            plan.video_url,
        )
        lesson.translations = languages.stamp(plan.translations, languages.object_hash("lesson", lesson))
        kept.append(lesson)
    module.lessons = kept


def _write_media(course: Course, media: dict[str, bytes], actor: User | None) -> None:
    current = {m.filename: m for m in (media_store.course_media(course) if course.id else [])}
    for filename, data in sorted(media.items()):
        item = current.pop(filename, None)
        if item is None or item.size != len(data) or media_store.read_media(item) != data:
            media_store.store_media(course, filename, data, actor)
    for item in current.values():
        media_store.forget_media(item)


def _write_status(course: Course, status: CourseStatus, actor: User | None) -> int | None:
    if status == CourseStatus.DRAFT:
        course.status = CourseStatus.DRAFT
        return _version_number(course)
    db.session.flush()
    version = freeze_version(actor, course, note=_("Imported from a course package"))
    course.status = status
    return version.number


# --- export ----------------------------------------------------------------------------------------------------


def export_files(course: Course) -> dict[str, bytes]:
    """The package of ``course`` as file name -> bytes (the course's draft: what a trainer edits)."""
    outputs = [part.export(course) for part in package_parts()]
    files: dict[str, bytes] = {}
    modules = []
    for module in course.modules:
        modules.append(_module_yaml(module, course, outputs))
        for lesson in module.lessons:
            base = f"lessons/{module.slug}/{lesson.slug}"
            files[f"{base}.md"] = _text_file(lesson.body_markdown)
            for lang, values in sorted((lesson.translations or {}).items()):
                files[f"{base}.{lang}.md"] = _text_file(values.get("body_markdown", ""))
    data = _course_yaml_data(course, outputs)
    data["modules"] = modules
    for output in outputs:
        data.update({k: v for k, v in output.course.items() if k in ("final_quiz",)})
        files.update(output.files)
    files[COURSE_FILE] = _text_file(dump_yaml(_ordered(data, COURSE_KEYS)))
    for item in media_store.course_media(course):
        files[f"media/{item.filename}"] = media_store.read_media(item)
    return dict(sorted(files.items()))


def _text_file(text: str) -> bytes:
    return (text or "").replace("\r\n", "\n").rstrip("\n").encode("utf-8") + b"\n"


def _ordered(data: dict, order: tuple[str, ...]) -> dict:
    ranked = {k: i for i, k in enumerate(order)}
    return dict(sorted(data.items(), key=lambda kv: ranked.get(kv[0], len(order))))


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _course_yaml_data(course: Course, outputs: list[PartOutput]) -> dict:
    data: dict[str, Any] = {
        "format": FORMAT,
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary or "",
        "language": course.language,
        "status": course.status.value,
    }
    if course.translations:
        data["translations"] = languages.for_export(course.translations, languages.object_hash("course", course))
    data.update(
        professions=list(course.professions or []),
        topics=list(course.topics or []),
        estimated_hours=_number(Decimal(course.estimated_hours)),
        self_enrolment=bool(course.self_enrolment),
        restricted=bool(course.restricted),
        prerequisites=[c.slug for c in course.prerequisites],
        completion=dict(course.completion_rule or {"required_lessons": "all"}),
    )
    for output in outputs:
        data.update({k: v for k, v in output.course.items() if k != "final_quiz"})
    return data


def _module_yaml(module: Module, course: Course, outputs: list[PartOutput]) -> dict:
    slugs = {m.id: m.slug for m in course.modules}
    data: dict[str, Any] = {"slug": module.slug, "title": module.title}
    if module.translations:
        data["translations"] = languages.for_export(module.translations, languages.object_hash("module", module))
    data.update(summary=module.summary or "", requires=[slugs[i] for i in module.requires or [] if i in slugs])
    data["lessons"] = [_lesson_yaml(lesson) for lesson in module.lessons]
    for output in outputs:
        data.update(output.modules.get(module.slug, {}))
    return _ordered(data, MODULE_KEYS)


def _lesson_yaml(lesson: Lesson) -> dict:
    data: dict[str, Any] = {"slug": lesson.slug, "title": lesson.title}
    if lesson.translations:
        data["translations"] = {
            lang: {k: v[k] for k in ("title", "content_notice", "outdated") if v.get(k)}
            for lang, v in languages.for_export(lesson.translations, languages.object_hash("lesson", lesson)).items()
        }
    data.update(
        required=bool(lesson.required),
        completion_mode=lesson.completion_mode.value,
        content_notice=lesson.content_notice,
        restricted=bool(lesson.restricted),
        video_url=lesson.video_url,
    )
    return data


def write_package(files: dict[str, bytes], dest: Path) -> None:
    """Write a package to ``dest``: a .zip file, or a folder (created; an earlier export there is replaced)."""
    if dest.suffix.lower() == ".zip":
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(zip_bytes(files))
        return
    if dest.exists() and any(dest.iterdir()) and not (dest / COURSE_FILE).exists():
        raise PackageRefusedError(_("The folder is not empty and holds no course package."), str(dest))
    for folder in ("lessons", "media") + tuple(p.folder for p in package_parts() if p.folder):
        _remove_tree(dest / folder)
    for name, data in files.items():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _remove_tree(folder: Path) -> None:
    if folder.is_dir() and not folder.is_symlink():
        for item in sorted(folder.rglob("*"), reverse=True):
            item.rmdir() if item.is_dir() and not item.is_symlink() else item.unlink()
        folder.rmdir()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A deterministic zip of a package (sorted members, fixed timestamps and modes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()


def export_course(course: Course, dest: Path, actor: User | None = None) -> int:
    """Export ``course`` to ``dest`` (folder or .zip); returns the number of files (audited)."""
    files = export_files(course)
    write_package(files, dest)
    audit.record(
        "course.exported", actor=actor, obj=course, academy_id=course.academy_id, details={"files": len(files)}
    )
    db.session.commit()
    return len(files)


def get_course(slug: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.slug == slug))
