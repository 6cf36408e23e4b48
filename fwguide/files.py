"""Small file helpers shared by every layer: the cache folder, safe reads, atomic writes and output files."""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

from fwguide.errors import FwguideError

STDOUT = "-"
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def cache_dir() -> Path:
    """The user cache folder (FWGUIDE_CACHE_DIR overrides it, e.g. for tests)."""
    override = os.environ.get("FWGUIDE_CACHE_DIR")
    if override:
        return Path(override)
    if sys.platform.startswith("linux"):
        # The XDG rule platformdirs applies on Linux, without its import cost on every start.
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fwguide"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("fwguide", appauthor=False))


def read_regular(path: Path, limit: int) -> bytes | None:
    """The bytes of `path` if it is a regular file (not a link) of at most `limit` bytes, else None.

    Opened without blocking, so a FIFO or a device at the path is a miss, never a hang.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _NOFOLLOW | _BINARY)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
        return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        os.close(fd)


# Byte order marks, longest first (UTF-32's starts like UTF-16's): what Windows tools such as
# PowerShell put at the start of the text files they write.
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xef\xbb\xbf", "utf-8"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode_text(data: bytes, name: str, errors: str = "strict") -> str:
    """A text file's bytes as text: UTF-8, or UTF-8/16/32 with a byte order mark (which is dropped).

    With errors="strict" a file that is not such text is a FwguideError naming `name`.
    """
    encoding, start = "utf-8", 0
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            encoding, start = bom_encoding, len(bom)
            break
    try:
        return data[start:].decode(encoding, errors)
    except UnicodeDecodeError as exc:
        raise FwguideError(f"{name}: not {encoding.upper()} text (byte {start + exc.start + 1} cannot be read)",
                           hint="save it as UTF-8") from None


def same_file(a: Path | str, b: Path | str) -> bool:
    """Whether two paths name the same file (through links, and before either exists)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


_NAME_MAX = 255  # bytes in one file name on almost every file system


def _temp_beside(path: Path) -> tuple[int, Path]:
    """A new file beside `path` (same folder, so a rename is atomic), created with the usual umask mode."""
    # The temporary name must fit where `path`'s own name only just fits: keep at most what leaves room.
    stem = path.name
    while len(os.fsencode(stem)) > _NAME_MAX - 14:
        stem = stem[:-1]
    for _ in range(100):
        temp = path.with_name(f".{stem}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write `data` to `path` through a temporary file and a rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = _temp_beside(path)
    try:
        try:
            if mode is not None:
                os.chmod(temp, mode)
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def check_output(target: Path | str, force: bool, flag: str) -> None:
    """Refuse early (before any question is asked) an output path that would be overwritten or cannot be one."""
    if str(target) == STDOUT:
        return
    path = Path(os.path.realpath(target))
    try:
        info = path.stat()
    except OSError:
        return  # new: whether it can be created is found out when it is written
    if stat.S_ISDIR(info.st_mode):
        raise FwguideError(f"{flag} {target}: is a folder",
                           hint=f"give a file name, e.g. {flag} {Path(target) / 'decision.md'}")
    if stat.S_ISREG(info.st_mode) and not force:
        raise FwguideError(f"{flag} {target}: already exists", hint="pass --force to overwrite it")


def write_output(target: Path | str, data: bytes, force: bool, flag: str) -> None:
    """Write a file the user asked for (--report, --save).

    `-` is stdout. A symlink is followed. Something that is not a regular file (a FIFO,
    a device) is written in place, never replaced. A regular file is replaced atomically
    and keeps its mode; a new one gets the usual umask mode. Without `force` an existing
    file is never overwritten, even by a run racing this one (the file is created exclusively).
    """
    if str(target) == STDOUT:
        _to_stdout(data)
        return
    check_output(target, force, flag)
    path = Path(os.path.realpath(target))
    try:
        info: os.stat_result | None = path.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise FwguideError(f"cannot write {flag} {target}: {exc.strerror or exc}") from None
    try:
        if info is not None and not stat.S_ISREG(info.st_mode):
            _write_in_place(path, data)
        elif info is not None:  # force: replace it, keeping its mode
            write_atomic(path, data, mode=stat.S_IMODE(info.st_mode))
        else:
            _create(path, data, force)
    except FileExistsError:
        raise FwguideError(f"{flag} {target}: already exists (written meanwhile by another run)",
                           hint="pass --force to overwrite it") from None
    except OSError as exc:
        raise FwguideError(f"cannot write {flag} {target}: {exc.strerror or exc}") from None


def _create(path: Path, data: bytes, force: bool) -> None:
    """A new file, complete before it appears; with `force` it may replace one that appeared meanwhile."""
    fd, temp = _temp_beside(path)
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        if force:
            os.replace(temp, path)
            return
        try:
            os.link(temp, path)  # fails if the name exists: the exclusive step
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: exclusive create, written in place
            _write_exclusive(path, data)
    finally:
        temp.unlink(missing_ok=True)


def _write_exclusive(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _write_in_place(path: Path, data: bytes) -> None:
    """Write into a FIFO or device without blocking on a FIFO nobody reads."""
    try:
        fd = os.open(path, os.O_WRONLY | _NONBLOCK | _BINARY)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OSError(errno.ENXIO, "it is a FIFO that nothing is reading") from None
        raise
    try:
        if _NONBLOCK:
            os.set_blocking(fd, True)
        _write_all(fd, data)
    finally:
        os.close(fd)


def _to_stdout(data: bytes) -> None:
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        buffer.write(data)
        buffer.flush()
    else:
        sys.stdout.write(data.decode("utf-8", "replace"))
        sys.stdout.flush()
