"""Small file helpers shared by every layer: the cache folder and atomic writes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from fwguide.errors import FwguideError


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


def write_atomic(path: Path, data: bytes, *, overwrite: bool = True) -> None:
    """Write `data` to `path` through a temporary file and a rename: readers never see half a file."""
    if not overwrite and path.exists():
        raise FwguideError(f"{path} already exists", hint="pass --force to overwrite it")
    import tempfile  # only writers pay for it (it pulls in shutil and random)

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
