"""One keyed cache for everything fwguide remembers between runs (rulebook, answers files, interpreters, probe results).

Each cache is a folder of msgpack files. A file holds its whole key and a typed
payload, and is used only if the key matches to the letter (its name is just a
checksum of the key). Only regular files are read, opened without blocking and
never past the size cap, so a FIFO or a huge file at a cache path costs a miss, not
a hang. Files are written atomically; every write prunes the folder: entries older
than `keep_days`, beyond the newest `max_entries`, and temporary files left by a
killed run. A cache that cannot be read or written only costs speed.
"""

import contextlib
import os
import stat
import time
import zlib
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec

from fwguide.files import cache_dir, read_regular, write_atomic

T = TypeVar("T")
_SUFFIX = ".msgpack"
_STALE_TEMP_SECONDS = 3600


class _Entry(msgspec.Struct, Generic[T], array_like=True, frozen=True):
    key: bytes
    value: T


def key_bytes(key: str) -> bytes:
    """A key as bytes; text that is not valid Unicode (an undecodable byte in a path or variable) still counts."""
    return key.encode("utf-8", "surrogatepass")


class KeyedCache(Generic[T]):
    """Values of type `kind` stored under text keys, in `cache_dir()/name`."""

    def __init__(self, name: str, kind: Any, *, max_bytes: int = 8 << 20, max_entries: int = 64,
                 keep_days: float = 30):
        self.name = name
        self.entry_type: Any = _Entry[kind]  # what a file holds: its key and a `kind` value
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.keep_seconds = keep_days * 24 * 3600

    @property
    def folder(self) -> Path:
        return cache_dir() / self.name

    def path(self, key: str) -> Path:
        data = key_bytes(key)
        return self.folder / f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}{_SUFFIX}"

    def load(self, key: str) -> T | None:
        """The value stored under exactly `key`, or None (missing, stale, corrupt, too big, not a file)."""
        data = read_regular(self.path(key), self.max_bytes)
        if data is None:
            return None
        try:
            entry = msgspec.msgpack.decode(data, type=self.entry_type)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            return None
        return entry.value if entry.key == key_bytes(key) else None

    def store(self, key: str, value: T) -> bool:
        """Remember `value` under `key` (unless it is over the size cap), then prune; False if it was not stored."""
        try:
            data = msgspec.msgpack.encode(_Entry(key_bytes(key), value))
        except (TypeError, ValueError, OverflowError, UnicodeEncodeError):
            return False  # a value the format cannot hold only costs speed
        if len(data) > self.max_bytes:
            self.prune()
            return False
        try:
            write_atomic(self.path(key), data)
        except OSError:
            return False
        self.prune()
        return True

    def prune(self) -> None:
        """Drop old entries, all but the newest `max_entries`, and temporary files of killed runs."""
        now = time.time()
        entries: list[tuple[float, str]] = []
        try:
            with os.scandir(self.folder) as found:
                for item in found:
                    try:
                        info = item.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if not stat.S_ISREG(info.st_mode):
                        continue
                    if item.name.endswith(_SUFFIX) and not item.name.startswith("."):
                        if now - info.st_mtime > self.keep_seconds:
                            _remove(item.path)
                        else:
                            entries.append((info.st_mtime, item.path))
                    elif item.name.startswith(".") and item.name.endswith(".tmp") and \
                            now - info.st_mtime > _STALE_TEMP_SECONDS:
                        _remove(item.path)
        except OSError:
            return
        entries.sort(reverse=True)
        for _, path in entries[self.max_entries:]:
            _remove(path)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
