"""Walking the paths given: every file found is read, and every place that cannot be entered is
named (an unreadable folder, a symlink loop, a broken link), never skipped silently.

Symlinked folders are followed, each real folder once: a link back to a folder already being
walked (a loop) or already walked (a second way into it) is reported instead of followed.
Hidden names (starting with ``.``) are the only silent skip.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from newstrace.limits import DEFAULT_LIMITS, Limits
from newstrace.progress import progress_bar
from newstrace.stages.ingest.html import document_from_html_file
from newstrace.stages.ingest.jsonl import read_jsonl
from newstrace.stages.ingest.txt import document_from_text_file
from newstrace.stages.ingest.warc import read_warc
from newstrace.types import Document, InputError, Rejected

__all__ = ["SUPPORTED_SUFFIXES", "plan_inputs", "read_file", "read_inputs", "walk"]

SUPPORTED_SUFFIXES = (".txt", ".html", ".htm", ".jsonl", ".warc", ".warc.gz")


def read_inputs(paths: Sequence[str | Path], *, limits: Limits = DEFAULT_LIMITS,
                progress: bool = False, identify_language: bool = True) -> Iterator[Document | InputError]:
    """Read every article under ``paths``, in a deterministic order.

    Each path is a file or a directory; directories are walked recursively in sorted
    order, skipping hidden files and folders (names starting with ``.``).  Documents in
    a directory get their path relative to it as id; a file given directly gets its name.  A
    document's ``path`` is its file's absolute path (an error names the input as given).  Two
    folders may give one id to different files: the pipeline settles that
    (``newstrace.stages.ingest.ids``).

    Args:
        paths: files and directories to read.
        limits: the largest file and article accepted (``newstrace.limits``).
        progress: show a progress bar over the files on stderr (rich).
        identify_language: identify each document's language as it is read; the pipeline
            passes False and identifies it in the prepare step, in its worker processes
            (py3langid was 4.6 of BBC's 5.5 s of serial reading).

    Yields:
        A ``Document`` per article read, and an ``InputError`` per input (file, JSONL
        line, WARC record, folder that cannot be entered) that could not be read, with the reason.
    """
    plan = plan_inputs(paths)
    with progress_bar("reading files", sum(not isinstance(p, InputError) for p in plan), enabled=progress) as bar:
        for entry in plan:
            if isinstance(entry, InputError):
                yield entry
                continue
            yield from read_file(entry[0], entry[1], limits=limits, identify_language=identify_language)
            bar.advance()


def plan_inputs(paths: Sequence[str | Path]) -> list[tuple[Path, Path] | InputError]:
    """What :func:`read_inputs` reads, in its order: ``(file, the folder its id is relative
    to)`` for each file under ``paths``, and an ``InputError`` for each that cannot be read at
    all (a missing path, a folder that cannot be entered, a symlink loop).  File names only:
    the Spark engine lists local inputs with it on its driver."""
    plan: list[tuple[Path, Path] | InputError] = []
    for given in paths:
        path = Path(given)
        problem = _missing(path)
        if problem is not None:
            plan.append(InputError(str(path), problem))
        elif path.is_dir():
            plan.extend(item if isinstance(item, InputError) else (item, path) for item in walk(path))
        else:
            plan.append((path, path.parent))
    return plan


def _missing(path: Path) -> str | None:
    """Why ``path`` cannot be read at all (None if it exists): a symlink loop and a broken
    link are told apart from a path that does not exist."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop (the link points back to itself)"
        if os.path.islink(path):
            return f"broken symlink (its target {os.readlink(path)!r} does not exist)"
        if exc.errno == errno.ENOENT:
            return "no such file or directory"
        return f"cannot read: {exc.strerror or exc}"
    return None


def walk(root: Path) -> list[Path | InputError]:
    """Files under ``root`` sorted by relative path, and an ``InputError`` for each folder or
    link that cannot be entered (hidden names are pruned: the only silent skip)."""
    found: list[tuple[str, Path | InputError]] = []
    seen: set[tuple[int, int]] = set()
    # Symlinked folders are entered after the real tree, so a folder reached both ways is
    # read under its real path, whatever the names' order.
    links: list[tuple[Path, str, frozenset[tuple[int, int]]]] = []
    # Likewise a link to a file: after the real files, and not read again when its file was.
    file_links: list[tuple[Path, str]] = []

    def visit(folder: Path, rel: str, ancestors: frozenset[tuple[int, int]]) -> None:
        try:
            st = folder.stat()
            key = (st.st_dev, st.st_ino)
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            found.append((rel, InputError(str(folder), f"cannot enter directory: {exc.strerror or exc}")))
            return
        if key in ancestors:
            found.append((rel, InputError(str(folder), "symlink loop: links back to a folder that contains it "
                                                       "(not followed)")))
            return
        if key in seen:
            found.append((rel, InputError(str(folder), "symlink to a folder already read (not read twice)")))
            return
        seen.add(key)
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = folder / entry.name
            sub = f"{rel}/{entry.name}" if rel else entry.name
            problem = _missing(path)
            if problem is not None:
                found.append((sub, InputError(str(path), problem)))
            elif path.is_dir() and path.is_symlink():
                links.append((path, sub, ancestors | {key}))
            elif path.is_dir():
                visit(path, sub, ancestors | {key})
            elif entry.is_symlink():
                file_links.append((path, sub))
            else:
                found.append((sub, path))

    visit(root, "", frozenset())
    while links:
        visit(*links.pop(0))
    if file_links:
        files = {_file_key(p) for _, p in found if isinstance(p, Path)}
        for path, sub in file_links:
            key = _file_key(path)
            if key in files:
                found.append((sub, InputError(str(path), "symlink to a file already read (not read twice)")))
            else:
                files.add(key)
                found.append((sub, path))
    return [item for _, item in sorted(found, key=lambda x: x[0])]


def _file_key(path: Path) -> tuple[int, int] | Path:
    """What identifies the file ``path`` names, links followed (the path itself if it cannot be stat'ed)."""
    try:
        st = path.stat()
    except OSError:
        return path
    return (st.st_dev, st.st_ino)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return ".warc.gz" if name.endswith(".warc.gz") else path.suffix.lower()


def read_file(path: Path, root: Path, *, limits: Limits = DEFAULT_LIMITS,
              identify_language: bool = True) -> Iterator[Document | InputError]:
    """Read one file, choosing the reader by suffix; JSONL and WARC files may hold many articles.

    Args:
        path: the file.
        root: the directory the ids are relative to (the file's parent for a file
            given directly).
        limits: the largest file and article accepted.
        identify_language: identify each document's language now (see :func:`read_inputs`).

    Yields:
        Documents, and an ``InputError`` for the file or for each bad line or record.
    """
    path = Path(path)
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = path.name
    problem = _missing(path)
    if problem is not None:
        yield InputError(str(path), problem)
        return
    if not path.is_file():
        yield InputError(str(path), "not a regular file")
        return
    suffix = _suffix(path)
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "(no suffix)"
        yield InputError(str(path), f"unsupported file type {shown} (supported: {', '.join(SUPPORTED_SUFFIXES)})")
        return
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            yield InputError(str(path), f"file too large ({size:,} bytes; the limit is {limits.max_file_bytes:,}, "
                                        "Limits.max_file_bytes)")
            return
        if suffix == ".jsonl":
            items = read_jsonl(path, rel, identify_language=identify_language)
        elif suffix in (".warc", ".warc.gz"):
            items = read_warc(path, rel, identify_language=identify_language)
        else:
            data = path.read_bytes()
            item = (document_from_html_file if suffix in (".html", ".htm") else document_from_text_file)(
                rel, data, str(path), identify_language=identify_language)
            items = iter([InputError(str(path), item.reason) if isinstance(item, Rejected) else item])
        many = suffix in (".jsonl", ".warc", ".warc.gz")
        given, absolute = str(path), os.path.abspath(path)
        for found in items:
            if isinstance(found, Document) and found.path == given:
                found.path = absolute  # errors name the input as given; a document keeps where it is
            yield _within_limits(found, limits, f"{path}:{found.id}" if many else str(path)) \
                if isinstance(found, Document) else found
    except OSError as exc:
        yield InputError(str(path), f"cannot read: {exc.strerror or exc}")


def _within_limits(doc: Document, limits: Limits, where: str) -> Document | InputError:
    """The document, or why it is refused: longer than ``max_article_chars`` (spaCy and the
    aligner's memory are sized for articles, not dumps)."""
    if len(doc.raw) > limits.max_article_chars:
        return InputError(where, f"article too long ({len(doc.raw):,} characters; the limit is "
                                           f"{limits.max_article_chars:,}, Limits.max_article_chars)")
    return doc
