"""The install command for one framework on one machine, chosen from the rulebook's install table.

Pure: plain facts in (OS, compute platform, CPU architecture, the driver's newest CUDA, the
GPUs' compute capability, the ROCm release, what is installed now), an `InstallChoice` out.
The probe's diagnosis and the engine's next step both call `choose_install`; a fact that is
not known is assumed, and the choice says what it assumed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec

from fwguide import frameworks
from fwguide.rulebook.schema import Compute, InstallOption

__all__ = ["InstallChoice", "InstalledBuild", "choose_install", "newer_than_checked", "version_tuple"]

ROCM_PLACEHOLDER = "<ROCm version>"
_GPU_WORDS = {"5.0": "Maxwell", "6.0": "Pascal", "7.0": "Volta"}  # the generations CUDA 13 dropped


class InstalledBuild(msgspec.Struct, frozen=True):
    """The framework build installed now, as its probe reported it."""

    package: str  # its distribution: torch, tensorflow, tensorflow-cpu, tensorflow-rocm, ...
    version: str = ""
    flavour: str = ""  # cpu / cuda / rocm / mps / metal
    cuda: str | None = None  # the CUDA version a CUDA build bundles


class InstallChoice(msgspec.Struct, frozen=True):
    """The command to run, and everything the user should know about why it is this one."""

    framework: str
    os: str
    compute: Compute  # the compute platform of the chosen entry
    command: str  # ready to paste: includes replacing the installed build when that is needed
    source: str
    note: str = ""
    variant: str = ""
    fallback_from: Compute | None = None  # the platform asked for, when the table had no entry for it
    because: list[str] = []  # why this entry rather than the cell's first one
    assumed: list[str] = []  # facts that were not known and were taken for granted
    warnings: list[str] = []  # requirements this machine does not meet even with this entry
    replaces: str = ""  # how and why the installed build is replaced
    checked: str = ""  # "PyTorch 2.14.1 on 2026-12-03"


def version_tuple(text: str | None) -> tuple[int, ...]:
    """'12.2' -> (12, 2); '2.13.0+cpu' -> (2, 13, 0); unknown -> ()."""
    return tuple(int(n) for n in re.findall(r"\d+", (text or "").split("+")[0])[:3])


def _at_least(have: str | None, need: str | None) -> bool | None:
    """Whether `have` reaches `need`; None when `have` is unknown; True when nothing is needed."""
    if not need:
        return True
    if not have:
        return None
    return version_tuple(have) >= version_tuple(need)


def _gpu_generation(capability: str | None) -> str:
    """'6.1' -> '6.1, Pascal'."""
    word = _GPU_WORDS.get(".".join(str(n) for n in version_tuple(capability)[:1]) + ".0") if capability else None
    if capability and version_tuple(capability)[:2] == (7, 5):
        word = "Turing"
    return f"{capability or '?'}" + (f", {word}" if word else "")


def _candidates(table: Sequence[InstallOption], framework: str, os_name: str, compute: Compute,
                arch: str | None) -> list[InstallOption]:
    cell = [o for o in table if o.framework == framework and os_name in o.os and o.compute == compute
            and (not o.arch or arch is None or arch in o.arch)]
    if arch is None:  # not known: the entries for any architecture, else those for the common one
        return [o for o in cell if not o.arch] or cell
    specific = [o for o in cell if arch in o.arch]
    return specific or cell


def _fits(option: InstallOption, cuda_driver: str | None, capability: str | None) -> tuple[bool, list[str]]:
    """Whether the machine meets the entry's requirements, and the requirements that had to be assumed."""
    unknown = []
    for have, need, what in ((capability, option.min_compute_capability, "compute capability"),
                             (cuda_driver, option.min_driver_cuda, "driver")):
        met = _at_least(have, need)
        if met is False:
            return False, []
        if met is None:
            unknown.append(what)
    return True, unknown


def _assumption(option: InstallOption, unknown: list[str], rest: list[InstallOption]) -> str:
    parts = []
    if "compute capability" in unknown:
        parts.append(f"a GPU of compute capability {option.min_compute_capability} or newer")
    if "driver" in unknown:
        parts.append(f"an NVIDIA driver that supports CUDA {option.min_driver_cuda} or newer")
    text = f"assumed {' and '.join(parts)} (nothing was probed)"
    older = next((o for o in rest if o is not option), None)
    if older is not None:
        text += f"; for an older GPU or driver: {older.command}"
    return text


def _rocm_folder(version: str | None) -> str | None:
    """AMD's repo folder name for a ROCm release: '6.4.1-83' -> '6.4.1', '7.0.0' -> '7.0'."""
    numbers = [str(n) for n in version_tuple(version)]
    if len(numbers) < 2:
        return None
    if len(numbers) == 3 and numbers[2] == "0":
        numbers = numbers[:2]
    return ".".join(numbers)


def _replacement(option: InstallOption, command: str, installed: InstalledBuild | None) -> tuple[str, str]:
    """The command adjusted to replace what is installed, and a sentence saying so ("" when nothing is replaced)."""
    if installed is None or not option.package:
        return command, ""
    what = f"{installed.package} {installed.version}".strip()
    if installed.package != option.package:
        return (f"pip uninstall -y {installed.package} && {command}",
                f"{what} is removed first: pip would install {option.package} beside it, not over it")
    other_build = installed.flavour and installed.flavour != option.compute and not (
        installed.flavour == "mps" and option.compute == "cpu")
    other_cuda = (option.compute == "cuda" and installed.flavour == "cuda" and option.cuda and installed.cuda
                  and version_tuple(installed.cuda)[:2] != version_tuple(option.cuda)[:2])
    if other_build or other_cuda:
        return (f"{command} --force-reinstall",
                f"--force-reinstall replaces {what} ({_build_words(installed)}), which pip would otherwise keep")
    return command, ""


def _build_words(installed: InstalledBuild) -> str:
    if installed.flavour == "cuda":
        return f"CUDA {installed.cuda}" if installed.cuda else "CUDA"
    return {"cpu": "CPU-only", "rocm": "ROCm", "mps": "macOS"}.get(installed.flavour, installed.flavour)


def choose_install(table: Sequence[InstallOption], framework: str, *, os: str, compute: Compute,
                   arch: str | None = None, cuda_driver: str | None = None, compute_capability: str | None = None,
                   rocm_version: str | None = None, installed: InstalledBuild | None = None) -> InstallChoice | None:
    """The install command for `framework` from `table` on a machine described by plain facts.

    os: linux / windows / macos. compute: the platform wanted (cuda, rocm, mps, cpu).
    arch: the CPU architecture (x86_64, arm64), None if unknown. cuda_driver: the newest CUDA the
    NVIDIA driver supports ("12.2"), None if unknown. compute_capability: the oldest GPU to be
    used ("6.1"), None if unknown. rocm_version: the installed ROCm release. installed: the
    framework build present now, if any. Unknown facts are assumed and listed in `assumed`.
    Returns None only when the table has neither an entry for the cell nor a CPU entry.
    """
    os_name = os if os in ("linux", "windows", "macos") else "linux"
    wanted: Compute = compute
    candidates = _candidates(table, framework, os_name, compute, arch)
    if not candidates:
        compute = "cpu"
        candidates = _candidates(table, framework, os_name, compute, arch)
    if not candidates:
        return None
    because: list[str] = []
    assumed: list[str] = []
    warnings: list[str] = []
    fitting = [(o, unknown) for o in candidates for fits, unknown in [_fits(o, cuda_driver, compute_capability)] if fits]
    if fitting:
        option, unknown = fitting[0]
        if unknown:
            assumed.append(_assumption(option, unknown, [o for o, _ in fitting]))
    else:
        option = candidates[-1]  # the least demanding entry, with the requirement it still misses
        warnings += _unmet(option, cuda_driver, compute_capability)
    if option is not candidates[0]:
        because += _why_not_first(candidates[0], cuda_driver, compute_capability, arch)
    if arch is None and os_name == "macos" and any(o.arch for o in table if o.framework == framework and "macos" in o.os):
        intel = next((o for o in table if o.framework == framework and "macos" in o.os and "x86_64" in o.arch), None)
        if intel is not None:
            assumed.append(f"assumed an Apple Silicon Mac; on an Intel Mac: {intel.command}")
    command = option.command
    if ROCM_PLACEHOLDER in command:
        folder = _rocm_folder(rocm_version)
        if folder:
            command = command.replace(ROCM_PLACEHOLDER, folder)
        else:
            assumed.append("the ROCm release was not known: put yours (e.g. 7.2) in the repo.radeon.com folder name")
    command, replaces = _replacement(option, command, installed)
    checked = f"{frameworks.title(framework)} {option.checked.version} on " \
              f"{option.checked.date.isoformat()}" if option.checked else ""
    return InstallChoice(
        framework=framework, os=os_name, compute=option.compute, command=command, source=option.source,
        note=" ".join(option.note.split()), variant=option.variant,
        fallback_from=wanted if option.compute != wanted else None, because=because, assumed=assumed,
        warnings=warnings, replaces=replaces, checked=checked,
    )


def _why_not_first(first: InstallOption, cuda_driver: str | None, capability: str | None, arch: str | None) -> list[str]:
    """Why the cell's first entry (the usual command) does not fit this machine."""
    needs = []
    if _at_least(capability, first.min_compute_capability) is False:
        needs.append(f"compute capability {first.min_compute_capability}+ (this GPU has {_gpu_generation(capability)})")
    if _at_least(cuda_driver, first.min_driver_cuda) is False:
        needs.append(f"a driver for CUDA {first.min_driver_cuda}+ (this one goes up to {cuda_driver})")
    reasons = [f"the {first.variant or first.command} needs {' and '.join(needs)}"] if needs else []
    if arch and first.arch and arch not in first.arch:
        reasons.append(f"this is an {arch} machine")
    return reasons


def _unmet(option: InstallOption, cuda_driver: str | None, capability: str | None) -> list[str]:
    unmet = []
    if _at_least(capability, option.min_compute_capability) is False:
        unmet.append(f"no current build has kernels for compute capability {capability}: the "
                     f"{option.variant or 'oldest'} needs {option.min_compute_capability}+")
    if _at_least(cuda_driver, option.min_driver_cuda) is False:
        unmet.append(f"update the NVIDIA driver: it supports CUDA up to {cuda_driver}, and the "
                     f"{option.variant or 'build'} needs CUDA {option.min_driver_cuda}+")
    return unmet


def newer_than_checked(table: Sequence[InstallOption], installed: dict[str, str]) -> list[str]:
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
