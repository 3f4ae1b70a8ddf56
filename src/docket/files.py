"""Writing files: whole or not at all, inside the folder they were given, one clear error.

Every file Docket writes for a user (`export -o`, `report -o`, `checkpoint -o`, `prove -o`,
`cosign -o`, `state --csv -o DIR`, `project --out DIR`) goes through `write_atomic`: the bytes
go to a temporary file in the target's own folder (so the rename cannot cross file systems),
are flushed to the disk (fsync), and the temporary file is renamed over the target. A reader
sees the old file or the new one, never half of one; after a failure (a full disk, a
permission, Ctrl-C) the temporary file is removed and the target is as it was. What went
wrong is a `StorageError` naming the path and the reason in words.

`write_inside` writes a set of files under one folder and refuses any name that would land
outside it (`../x`, an absolute path, a symbolic link pointing out).
"""

from __future__ import annotations

import errno
import os
import secrets
from typing import Iterable, Mapping

from .errors import StorageError

__all__ = ["write_atomic", "write_inside", "inside", "reason"]

# The reasons a write fails, in words (errno -> what to tell the user). The folder is named
# where the reason is about the folder.
_REASONS = {
    errno.ENOENT: "the folder {folder} does not exist",
    errno.ENOTDIR: "a part of {folder} is a file, not a folder",
    errno.EISDIR: "it is a folder; give a file name",
    errno.EACCES: "permission denied (the folder {folder} is not writable)",
    errno.EPERM: "permission denied (the folder {folder} is not writable)",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full (no space left on the device)",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file is larger than this process or file system allows (a file size "
                 "limit, or a full disk)",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EEXIST: "a file of that name is already there",
    errno.ELOOP: "too many symbolic links",
    errno.EIO: "an input/output error on the device",
}


def reason(exc: OSError, path: str) -> str:
    """What `exc` (raised while writing `path`) means, in words."""
    folder = os.path.dirname(os.path.abspath(path)) or "/"
    words = _REASONS.get(exc.errno or 0)
    if words is None:
        return (exc.strerror or str(exc)).lower()
    return words.format(folder=folder)


def _fail(path: str, exc: OSError) -> StorageError:
    return StorageError(f"cannot write {path}: {reason(exc, path)}")


def _temporary(folder: str, name: str) -> tuple[int, str]:
    """Create a new temporary file next to the target (mode 0666 less the umask, as a
    plain `open` would make it)."""
    while True:
        tmp = os.path.join(folder, f".{name[:64]}.{secrets.token_hex(4)}.tmp")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def _sync_folder(folder: str) -> None:
    # The rename is durable once the folder's entry is on disk; a file system that cannot
    # sync a folder (some network ones) still has the file, so this is best effort.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike, data: bytes | Iterable[bytes]) -> None:
    """Write `data` (bytes, or chunks of bytes written as they come) to `path`, whole or
    not at all. Raises StorageError naming the path and the reason; the temporary file is
    removed on any failure, and a file already at `path` is left as it was."""
    path = os.fspath(path)
    target = os.path.abspath(path)
    folder, name = os.path.split(target)
    if os.path.isdir(target):
        raise _fail(path, OSError(errno.EISDIR, "Is a directory"))
    try:
        fd, tmp = _temporary(folder, name)
    except OSError as exc:
        raise _fail(path, exc) from None
    try:
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in ((data,) if isinstance(data, (bytes, bytearray, memoryview))
                              else data):
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except StorageError:
            raise  # from `data` (a log it cannot read): its own words
        except OSError as exc:
            raise _fail(path, exc) from None
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_folder(folder)


def inside(folder: str | os.PathLike, rel: str) -> str:
    """The path of `rel` (a relative name with `/` between parts) under `folder`, refused
    with a StorageError when it would land anywhere else (`..`, an absolute name, a
    symbolic link in `folder` that points out of it)."""
    folder = os.fspath(folder)
    base = os.path.realpath(folder)
    parts = rel.split("/")
    if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts) \
            or "\\" in rel or "\0" in rel:
        raise StorageError(f"cannot write {rel!r} under {folder}: a file name must stay "
                           "inside the folder it is written to")
    path = os.path.join(folder, *parts)
    real = os.path.realpath(path)
    if os.path.commonpath([base, real]) != base:
        raise StorageError(f"cannot write {rel!r} under {folder}: it would land outside the "
                           f"folder (at {real})")
    return path


def write_inside(folder: str | os.PathLike, files: Mapping[str, bytes], *,
                 only_changed: bool = True) -> list[str]:
    """Write `files` (relative name -> bytes) under `folder`, creating it and the
    subfolders the names need. Every name is checked to stay inside `folder` before anything
    is written. With `only_changed`, a file that already holds those bytes is left alone.
    Returns the names written, sorted."""
    folder = os.fspath(folder)
    paths = {rel: inside(folder, rel) for rel in sorted(files)}
    changed = []
    for rel, path in paths.items():
        content = files[rel]
        if only_changed:
            try:
                with open(path, "rb") as fh:
                    if fh.read(len(content) + 1) == content:
                        continue
            except OSError:
                pass
        sub = os.path.dirname(path)
        try:
            os.makedirs(sub, exist_ok=True)
        except OSError as exc:
            failed = os.fsdecode(exc.filename) if exc.filename is not None else sub
            why = ("a file is there, not a folder" if exc.errno == errno.EEXIST
                   else reason(exc, failed))
            raise StorageError(f"cannot write {path}: cannot create the folder {failed}; "
                               f"{why}") from None
        # A folder made above may be a link that was not there when the names were checked.
        inside(folder, rel)
        write_atomic(path, content)
        changed.append(rel)
    return changed
