"""Version arithmetic for the install table: release numbers, GPU generations, and how fresh the table is."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from fwguide import frameworks
from fwguide.rulebook.schema import InstallOption

__all__ = ["at_least", "at_most", "gpu_generation", "newer_than_checked", "sm_name", "version_tuple"]

# NVIDIA's architecture names by compute capability (major, minor); a major alone covers the rest.
_GENERATIONS = {(3,): "Kepler", (5,): "Maxwell", (6,): "Pascal", (7,): "Volta", (7, 5): "Turing", (8,): "Ampere",
                (8, 9): "Ada", (9,): "Hopper", (10,): "Blackwell", (11,): "Blackwell", (12,): "Blackwell"}


def version_tuple(text: str | None) -> tuple[int, ...]:
    """'12.2' -> (12, 2); '2.13.0+cpu' -> (2, 13, 0); unknown -> ()."""
    # ASCII digit runs of a sane length only: "¹" is a digit to \d and int(), and 5,000 digits are not a version
    return tuple(int(n) for n in re.findall(r"[0-9]{1,9}", (text or "").split("+")[0])[:3])


def at_least(have: str | None, need: str | None) -> bool | None:
    """Whether `have` reaches `need`; None when `have` is unknown; True when nothing is needed."""
    if not need:
        return True
    if not have:
        return None
    return version_tuple(have) >= version_tuple(need)


def at_most(have: str | None, limit: str | None) -> bool | None:
    """Whether `have` stays within `limit` (as major.minor); None when `have` is unknown; True without a limit."""
    if not limit:
        return True
    if not have:
        return None
    return version_tuple(have)[:2] <= version_tuple(limit)[:2]


def gpu_generation(capability: str | None) -> str:
    """'6.1' -> '6.1, Pascal'; '12.0' -> '12.0, Blackwell'; None -> '?'."""
    numbers = version_tuple(capability)
    word = _GENERATIONS.get(numbers[:2]) or _GENERATIONS.get(numbers[:1])
    return f"{capability or '?'}" + (f", {word}" if word else "")


def sm_name(capability: str | None) -> str:
    """'12.0' -> 'sm_120': how compilers and kernel lists name a compute capability."""
    numbers = version_tuple(capability)
    return "sm_" + "".join(str(n) for n in numbers[:2]) if numbers else "sm_?"


def newer_than_checked(table: Sequence[InstallOption], installed: Mapping[str, str]) -> list[str]:
    """Warnings for installed frameworks newer than every release the table was checked against.

    `installed` maps a framework id (pytorch, tensorflow) to its installed version.
    """
    found = []
    for framework, version in sorted(installed.items()):
        checked = [o.checked for o in table if o.framework == framework and o.checked is not None]
        if not checked or not version:
            continue
        newest = max(checked, key=lambda c: version_tuple(c.version))
        if version_tuple(version) > version_tuple(newest.version):
            name = frameworks.title(framework)
            found.append(f"install table: {name} {version} is installed, newer than {newest.version}, the release "
                         f"its {name} entries were checked against ({newest.date.isoformat()}); check the commands "
                         "against the current install pages")
    return found
