"""Reading a course package safely: a folder or a .zip, and course.yaml with the line of every value.

A package comes from outside (another installation, a trainer's laptop), so reading it is defensive: a zip
member with an absolute path or ``..``, a symlink (in a zip or a folder), a member or a whole package larger
than the limits, too many members or a suspicious compression ratio (a zip bomb) are refused before any byte
is used. Sizes are checked while decompressing, not taken from the zip's own header.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml
from flask_babel import gettext as _

MAX_MEMBERS = 5000
MAX_MEMBER_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 500 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, for members larger than 1 MiB
IGNORED = ("__MACOSX/", ".DS_Store", "Thumbs.db")


class PackageRefusedError(Exception):
    """The package cannot be read at all (unsafe or unreadable): nothing in it is used."""

    def __init__(self, message: str, file: str = "") -> None:
        super().__init__(message)
        self.message, self.file = message, file


@dataclass
class PackageFiles:
    """Every file of a package: POSIX relative path -> bytes."""

    files: dict[str, bytes] = field(default_factory=dict)

    def text(self, name: str) -> str:
        """The file decoded as UTF-8 with LF line endings (raises UnicodeDecodeError)."""
        return self.files[name].decode("utf-8").replace("\r\n", "\n")


def _safe_name(name: str) -> str | None:
    """The member's path if it stays inside the package, else None."""
    if "\\" in name or "\x00" in name or name.startswith("/"):
        return None
    parts = PurePosixPath(name).parts
    if not parts or any(p in ("..", "") for p in parts) or ":" in parts[0]:
        return None
    return "/".join(parts)


def _ignored(name: str) -> bool:
    return name.startswith(IGNORED[0]) or PurePosixPath(name).name in IGNORED[1:]


def read_package(path: Path) -> PackageFiles:
    """Read a package folder or zip file into memory, refusing anything unsafe."""
    if path.is_symlink():
        raise PackageRefusedError(_("The package is a symbolic link."), str(path))
    if path.is_dir():
        return _read_folder(path)
    if path.is_file() and zipfile.is_zipfile(path):
        return _read_zip(path)
    if not path.exists():
        raise PackageRefusedError(_("No such file or folder."), str(path))
    raise PackageRefusedError(_("Not a course package: give a folder or a .zip file."), str(path))


def _read_folder(root: Path) -> PackageFiles:
    package, total = PackageFiles(), 0
    for item in sorted(root.rglob("*")):
        name = item.relative_to(root).as_posix()
        if item.is_symlink():
            raise PackageRefusedError(_("Symbolic links are not allowed in a package."), name)
        if item.is_dir() or _ignored(name):
            continue
        size = item.stat().st_size
        total += size
        _check_size(name, size, total, len(package.files) + 1)
        package.files[name] = item.read_bytes()
    return package


def _check_size(name: str, size: int, total: int, count: int) -> None:
    if count > MAX_MEMBERS:
        raise PackageRefusedError(_("The package has more than %(n)d files.", n=MAX_MEMBERS), name)
    if size > MAX_MEMBER_BYTES:
        raise PackageRefusedError(_("The file is larger than %(mb)d MB.", mb=MAX_MEMBER_BYTES // 2**20), name)
    if total > MAX_TOTAL_BYTES:
        raise PackageRefusedError(_("The package is larger than %(mb)d MB.", mb=MAX_TOTAL_BYTES // 2**20), name)


def _read_zip(path: Path) -> PackageFiles:
    package, total = PackageFiles(), 0
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise PackageRefusedError(_("The package has more than %(n)d files.", n=MAX_MEMBERS), str(path))
            for info in members:
                name = _member_name(info)
                if name is None:
                    continue
                data = _read_member(archive, info, name, MAX_TOTAL_BYTES - total)
                total += len(data)
                _check_size(name, len(data), total, len(package.files) + 1)
                package.files[name] = data
    except zipfile.BadZipFile as exc:
        raise PackageRefusedError(_("The zip file is damaged: %(error)s", error=str(exc)), str(path)) from exc
    return package


def _member_name(info: zipfile.ZipInfo) -> str | None:
    """The member's safe name; None for folders and ignored files; refuses unsafe members."""
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise PackageRefusedError(_("Symbolic links are not allowed in a package."), info.filename)
    name = _safe_name(info.filename.rstrip("/") if info.is_dir() else info.filename)
    if name is None:
        raise PackageRefusedError(_("The path leaves the package (absolute or with '..')."), info.filename)
    if info.is_dir() or _ignored(name):
        return None
    if info.flag_bits & 0x1:
        raise PackageRefusedError(_("Encrypted zip members are not supported."), name)
    return name


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, room: int) -> bytes:
    """Decompress at most the limits allow, counting real bytes (a header can lie about sizes)."""
    limit = min(MAX_MEMBER_BYTES, room)
    chunks, size = [], 0
    with archive.open(info) as stream:
        while chunk := stream.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                raise PackageRefusedError(_("The file is larger than the package limits allow."), name)
            if size > 2**20 and size > MAX_RATIO * max(info.compress_size, 1):
                raise PackageRefusedError(_("The file is compressed suspiciously well (a zip bomb?)."), name)
            chunks.append(chunk)
    return b"".join(chunks)


# --- YAML with line numbers ----------------------------------------------------------------------------------


class YamlError(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message, self.line = message, line


def load_yaml(text: str) -> tuple[object, dict[str, int]]:
    """Parse YAML (safe types only) and return (data, lines): ``lines`` maps a field path such as
    ``modules[0].lessons[1].slug`` to its line (1-based). Duplicate keys are an error."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlError(str(getattr(exc, "problem", None) or exc), (mark.line + 1) if mark else 1) from exc
    lines: dict[str, int] = {}
    if node is None:
        return None, lines
    constructor = yaml.SafeLoader("")
    constructor.seen = set()
    return _construct(node, "", lines, constructor), lines


def _construct(node, path: str, lines: dict[str, int], constructor) -> object:
    # An alias makes the composer reuse a node: refusing any reuse keeps "billion laughs" documents out.
    if id(node) in constructor.seen:
        raise YamlError(_("Anchors and aliases (& and *) are not allowed."), node.start_mark.line + 1)
    constructor.seen.add(id(node))
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise YamlError(_("Keys must be text."), key_node.start_mark.line + 1)
            if key in result:
                raise YamlError(_("The key '%(key)s' appears twice.", key=key), key_node.start_mark.line + 1)
            child = f"{path}.{key}" if path else key
            result[key] = _construct(value_node, child, lines, constructor)
            lines[child] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, f"{path}[{i}]", lines, constructor) for i, item in enumerate(node.value)]
    return constructor.construct_object(node, deep=True)


def dump_yaml(data: dict) -> str:
    """YAML as the export writes it: keys in the given order, UTF-8 text kept as written, block style."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120, indent=2)
