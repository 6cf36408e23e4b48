"""The install command for one framework on one machine, chosen from the rulebook's install table.

Pure: plain facts in (OS, compute platform, CPU architecture, the driver's newest CUDA, the
GPUs' compute capability, the ROCm release, the macOS release, what is installed now), an
`InstallChoice` out. A fact that is not known is assumed, and the choice says what it assumed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec

from fwguide import frameworks
from fwguide.install.versions import at_least, at_most, gpu_generation, version_tuple
from fwguide.rulebook.schema import Compute, InstallOption

__all__ = ["InstallChoice", "InstalledBuild", "Where", "choose_install", "covers", "newest_kernels"]

ROCM_PLACEHOLDER = "<ROCm version>"
NOT_PROBED = "nothing was probed"
Where = Literal["this-environment", "training-machine"]


class InstalledBuild(msgspec.Struct, frozen=True):
    """The framework build installed now, as its probe reported it."""

    package: str  # its distribution: torch, tensorflow, tensorflow-cpu, tensorflow-rocm, ...
    version: str = ""
    flavour: str = ""  # cpu / cuda / rocm / mps / metal
    cuda: str | None = None  # the CUDA version a CUDA build bundles
    sees: tuple[str, ...] = ()  # the accelerator kinds it found (cuda, rocm, mps, gpu)
    works: bool = True  # False when importing it failed


class InstallChoice(msgspec.Struct, frozen=True, kw_only=True):
    """The next step: the command to run, where, and everything the user should know about why it is this one."""

    framework: str
    command: str | None  # ready to paste; None when the right build is already installed
    python: str | None = None  # the interpreter the command installs into; None: not a probed one
    where: Where = "this-environment"
    installed: bool = False  # the framework is already installed here in a build that suits
    note: str = ""
    situation: str = ""  # where the command is to run and what stays here, in a sentence or two (the screen's line)
    os: str
    compute: Compute  # the compute platform of the chosen entry
    variant: str = ""
    source: str
    index_url: str = ""
    last_release: str = ""  # the last release of this build, which the command pins
    fallback_from: Compute | None = None  # the platform asked for, when the table had no usable entry for it
    because: list[str] = []  # why this entry rather than the cell's first one
    assumed: list[str] = []  # facts that were not known and were taken for granted
    warnings: list[str] = []  # requirements this machine does not meet even with this entry
    replaces: str = ""  # how and why the installed build is replaced
    checked: str = ""  # "PyTorch 2.15.0 on 2026-12-07"


class _Facts(msgspec.Struct, frozen=True):
    cuda_driver: str | None
    capability: str | None


def _candidates(table: Sequence[InstallOption], framework: str, os_name: str, compute: Compute,
                arch: str | None) -> list[InstallOption]:
    cell = [o for o in table if o.framework == framework and os_name in o.os and o.compute == compute
            and (not o.arch or arch is None or arch in o.arch)]
    if arch is None:  # not known: the entries for any architecture, else those for the common one
        return [o for o in cell if not o.arch] or cell
    specific = [o for o in cell if arch in o.arch]
    return specific or cell


def _checks(option: InstallOption, facts: _Facts) -> list[tuple[bool | None, str]]:
    """Each requirement of the entry: met (True), missed (False) or not known (None), with its name."""
    return [(at_least(facts.capability, option.min_compute_capability), "compute capability"),
            (at_most(facts.capability, option.max_compute_capability), "compute capability"),
            (at_least(facts.cuda_driver, option.min_driver_cuda), "driver")]


def _fits(option: InstallOption, facts: _Facts) -> tuple[bool, list[str]]:
    """Whether the machine meets the entry's requirements, and the requirements that had to be assumed."""
    checks = _checks(option, facts)
    if any(met is False for met, _ in checks):
        return False, []
    return True, list(dict.fromkeys(what for met, what in checks if met is None))


def _gpu_range(option: InstallOption) -> str:
    low, high = option.min_compute_capability, option.max_compute_capability
    if low and high:
        return f"a GPU of compute capability {low} to {high}"
    return f"a GPU of compute capability {low} or newer" if low else f"a GPU of compute capability up to {high}"


def _driver_words(option: InstallOption) -> str:
    release = f", the {option.min_driver} series or newer" if option.min_driver else ""
    return f"an NVIDIA driver that supports CUDA {option.min_driver_cuda} or newer{release}"


def _assumption(option: InstallOption, unknown: list[str], rest: list[InstallOption], unprobed: str) -> str:
    parts = []
    if "compute capability" in unknown:
        parts.append(_gpu_range(option))
    if "driver" in unknown:
        parts.append(_driver_words(option))
    text = f"assumed {' and '.join(parts)} ({unprobed})"
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
                f"--force-reinstall replaces {what} ({build_words(installed)}), which pip would otherwise keep")
    return command, ""


def build_words(installed: InstalledBuild) -> str:
    """'CUDA 12.8', 'CPU-only', 'ROCm', 'macOS'."""
    if installed.flavour == "cuda":
        return f"CUDA {installed.cuda}" if installed.cuda else "CUDA"
    return {"cpu": "CPU-only", "rocm": "ROCm", "mps": "macOS"}.get(installed.flavour, installed.flavour)


def newest_kernels(table: Sequence[InstallOption], framework: str, os_name: str | None = None,
                   cuda: str | None = None) -> InstallOption | None:
    """The CUDA entry with the newest kernels, when every CUDA build of `framework` stops at some GPU generation.

    With `cuda`, only the entries of that CUDA release (else of its major version) count. None when a
    build has kernels for every newer GPU, or there is no CUDA entry.
    """
    found = [o for o in table if o.framework == framework and o.compute == "cuda" and o.cuda
             and (os_name is None or os_name in o.os)]
    if cuda:
        same = [o for o in found if version_tuple(o.cuda)[:2] == version_tuple(cuda)[:2]]
        found = same or [o for o in found if version_tuple(o.cuda)[:1] == version_tuple(cuda)[:1]]
    if not found or any(not o.max_compute_capability for o in found):
        return None
    return max(found, key=lambda o: version_tuple(o.max_compute_capability))


def covers(table: Sequence[InstallOption], framework: str, cuda: str | None, capability: str | None) -> bool:
    """Whether the builds of CUDA release `cuda` carry kernels for `capability` (True when the table cannot tell)."""
    if not cuda or not capability:
        return True
    family = [o for o in table if o.framework == framework and o.compute == "cuda" and o.cuda
              and version_tuple(o.cuda)[:2] == version_tuple(cuda)[:2]]
    lows = [o.min_compute_capability for o in family if o.min_compute_capability]
    if lows and at_least(capability, min(lows, key=version_tuple)) is False:
        return False
    newest = newest_kernels(family, framework)
    return newest is None or at_most(capability, newest.max_compute_capability) is not False


def _too_new(candidates: list[InstallOption], capability: str | None) -> InstallOption | None:
    """The entry with the newest kernels when the GPU is newer than every candidate's newest."""
    newest = newest_kernels(candidates, candidates[0].framework) if candidates else None
    if newest is not None and at_most(capability, newest.max_compute_capability) is False:
        return newest
    return None


def _too_new_reason(newest: InstallOption, capability: str | None) -> str:
    issue = f" ({newest.known_issue})" if newest.known_issue else ""
    return (f"no {frameworks.title(newest.framework)} CUDA build has kernels for this GPU "
            f"(compute capability {gpu_generation(capability)}): the newest they carry is "
            f"{newest.max_compute_capability}{issue}")


def choose_install(table: Sequence[InstallOption], framework: str, *, os: str, compute: Compute,
                   arch: str | None = None, cuda_driver: str | None = None, compute_capability: str | None = None,
                   rocm_version: str | None = None, macos_version: str | None = None,
                   installed: InstalledBuild | None = None, unprobed: str = NOT_PROBED) -> InstallChoice | None:
    """The install command for `framework` from `table` on a machine described by plain facts.

    os: linux / windows / macos. compute: the platform wanted (cuda, rocm, mps, tpu, cpu).
    arch: the CPU architecture (x86_64, arm64), None if unknown. cuda_driver: the newest CUDA the
    NVIDIA driver supports ("12.2"), None if unknown. compute_capability: the oldest GPU to be
    used ("6.1"), None if unknown. rocm_version / macos_version: the installed releases.
    installed: the framework build present now, if any. Unknown facts are assumed and listed in
    `assumed`, saying why (`unprobed`). Returns None only when the table has neither an entry for
    the cell nor a CPU entry.
    """
    os_name = os if os in ("linux", "windows", "macos") else "linux"
    if compute == "tpu":
        os_name = "linux"  # a Cloud TPU VM runs Linux, whatever the desktop the answers describe
    wanted: Compute = compute
    facts = _Facts(cuda_driver, compute_capability)
    candidates = _candidates(table, framework, os_name, compute, arch)
    because: list[str] = []
    newest = _too_new(candidates, compute_capability)
    if newest is not None:  # kernels for no build of it: the CPU build is the one that runs
        because.append(_too_new_reason(newest, compute_capability))
        candidates = []
    if not candidates:
        compute = "cpu"
        candidates = _candidates(table, framework, os_name, compute, arch)
    if not candidates:
        return None
    assumed: list[str] = []
    warnings: list[str] = []
    fitting = [(o, unknown) for o in candidates for fits, unknown in [_fits(o, facts)] if fits]
    if fitting:
        option, unknown = fitting[0]
        if unknown:
            assumed.append(_assumption(option, unknown, [o for o, _ in fitting], unprobed))
    else:  # the entry with kernels for this GPU that asks least of the driver, else the most inclusive one
        kernels = [o for o in candidates
                   if all(met is not False for met, what in _checks(o, facts) if what == "compute capability")]
        option = (min(kernels, key=lambda o: version_tuple(o.min_driver_cuda or "0")) if kernels
                  else min(candidates, key=lambda o: version_tuple(o.min_compute_capability or "0")))
        warnings += _unmet(option, facts)
    if option is not candidates[0]:
        because += _why_not_first(candidates, option, facts, arch, installed)
    macs = [o for o in table if o.framework == framework and "macos" in o.os]
    if arch is None and os_name == "macos" and any(o.arch for o in macs):
        intel = next((o for o in macs if "x86_64" in o.arch), None)
        if intel is not None:
            assumed.append(f"assumed an Apple Silicon Mac; on an Intel Mac: {intel.command}")
    if option.min_macos and at_least(macos_version, option.min_macos) is False:
        warnings.append(f"this Mac runs macOS {macos_version}, and current {frameworks.title(framework)} releases "
                        f"need macOS {option.min_macos} or newer: pip installs an older release here; update macOS")
    command = option.command
    if ROCM_PLACEHOLDER in command:
        folder = _rocm_folder(rocm_version)
        if folder:
            command = command.replace(ROCM_PLACEHOLDER, folder)
        else:
            assumed.append("the ROCm release was not known: put yours (e.g. 7.2) in the repo.radeon.com folder name")
    if option.max_rocm and rocm_version and version_tuple(rocm_version)[:1] > version_tuple(option.max_rocm)[:1]:
        warnings.append(f"this machine has ROCm {rocm_version}; the {option.variant or 'route'} serves ROCm "
                        f"{option.max_rocm}.x and older (the note says what to use instead)")
    command, replaces = _replacement(option, command, installed)
    checked = f"{frameworks.title(framework)} {option.checked.version} on " \
              f"{option.checked.date.isoformat()}" if option.checked else ""
    return InstallChoice(
        framework=framework, os=os_name, compute=option.compute, command=command, source=option.source,
        note=" ".join(option.note.split()), variant=option.variant, index_url=option.index_url,
        last_release=option.last_release or "", fallback_from=wanted if option.compute != wanted else None,
        because=because, assumed=assumed, warnings=warnings, replaces=replaces, checked=checked,
    )


def _why_not_first(candidates: list[InstallOption], chosen: InstallOption, facts: _Facts, arch: str | None,
                   installed: InstalledBuild | None) -> list[str]:
    """Why the cell's first entry (the usual command) and those before the chosen one do not fit, and how they could."""
    first, capability, driver = candidates[0], facts.capability, facts.cuda_driver
    needs = []
    if at_least(capability, first.min_compute_capability) is False:
        needs.append(f"compute capability {first.min_compute_capability}+ (this GPU has {gpu_generation(capability)})")
    if at_most(capability, first.max_compute_capability) is False:
        needs.append(f"a GPU up to compute capability {first.max_compute_capability} "
                     f"(this one has {gpu_generation(capability)})")
    driver_only = not needs
    if at_least(driver, first.min_driver_cuda) is False:
        needs.append(f"a driver for CUDA {first.min_driver_cuda}+ (this one goes up to {driver})")
    else:
        driver_only = False
    reasons = [f"the {first.variant or first.command} needs {' and '.join(needs)}"] if needs else []
    skipped = candidates[1:candidates.index(chosen)] if chosen in candidates else []
    reasons += [f"the {o.variant} has no kernels for compute capability {gpu_generation(capability)} "
                f"(it stops at {o.max_compute_capability})" for o in skipped
                if at_most(capability, o.max_compute_capability) is False]
    if driver_only and chosen.last_release:  # only the driver stands between this GPU and the current release
        current, _ = _replacement(first, first.command, installed)
        release = f" to the {first.min_driver} series or newer" if first.min_driver else ""
        reasons.append(f"or update the NVIDIA driver{release} (CUDA {first.min_driver_cuda}) for the current "
                       f"release: {current}")
    if arch and first.arch and arch not in first.arch:
        reasons.append(f"this is an {arch} machine")
    return reasons


def _unmet(option: InstallOption, facts: _Facts) -> list[str]:
    unmet = []
    capability, driver = facts.capability, facts.cuda_driver
    if at_least(capability, option.min_compute_capability) is False:
        unmet.append(f"no current build has kernels for compute capability {gpu_generation(capability)}: the "
                     f"{option.variant or 'oldest'} needs {option.min_compute_capability}+")
    if at_least(driver, option.min_driver_cuda) is False:
        release = f" ({option.min_driver} series or newer)" if option.min_driver else ""
        unmet.append(f"update the NVIDIA driver: it supports CUDA up to {driver}, and the "
                     f"{option.variant or 'build'} needs CUDA {option.min_driver_cuda}+{release}")
    return unmet
