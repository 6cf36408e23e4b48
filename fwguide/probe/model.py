"""The probe's data: what the machine, each framework and the diagnosis say, as typed structs.

`ProbeReport` is the whole result and `to_json_dict()` is `probe-gpu --json`. The
`Worker*` structs are what a worker script prints; they are checked on arrival so a
worker that drifts from this shape is reported, never half-trusted.
"""

from typing import Annotated, Any, Literal

import msgspec

from fwguide.structs import FrozenStruct

SCHEMA_VERSION = 1

FrameworkId = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]  # an id of fwguide.frameworks
# ok: imported and probed · missing: not installed · import-error: installed but failed to import ·
# timeout / crashed / bad-output / no-output / cancelled: the worker did not give a usable answer
FrameworkStatus = Literal["ok", "missing", "import-error", "timeout", "crashed", "bad-output", "no-output", "cancelled"]
DeviceKind = Literal["cpu", "cuda", "rocm", "mps", "gpu", "tpu"]
Precision = Literal["fp32", "tf32", "bf16", "fp16"]
BuildFlavour = Literal["cpu", "cuda", "rocm", "mps", "metal", "tpu"]  # what a framework build targets
Severity = Literal["problem", "warning", "info"]  # of a finding: a probe's diagnosis, a fleet's finding

GPU_KINDS = frozenset({"cuda", "rocm", "mps", "gpu"})  # "gpu": an Apple GPU through a Metal plugin, or one unnamed
ACCELERATOR_KINDS = GPU_KINDS | {"tpu"}
# What a worker measures can be neither negative nor absurd (JSON already rules out NaN and inf).
Amount = Annotated[float, msgspec.Meta(ge=0, le=1e9)]
Count = Annotated[int, msgspec.Meta(ge=1, le=1 << 40)]


class _Data(FrozenStruct):
    pass


class _WorkerData(FrozenStruct, forbid_unknown_fields=True):
    pass


# --- the machine, without any framework -------------------------------------------------

class NvidiaGpu(_Data):
    index: int
    name: str
    memory_gib: float | None = None
    compute_capability: str | None = None
    uuid: str | None = None
    visible: bool = True  # not hidden by CUDA_VISIBLE_DEVICES


class NvidiaDriver(_Data):
    # ok: the driver answered · absent: no NVIDIA driver (a normal result) · error: it is there but failing
    status: Literal["ok", "absent", "error"]
    reason: str = ""
    hint: str = ""
    source: str = ""  # "NVML" or "nvidia-smi"
    driver_version: str | None = None
    cuda_driver_version: str | None = None  # the newest CUDA this driver supports
    gpus: list[NvidiaGpu] = []


class AmdInfo(_Data):
    rocm_driver: bool = False  # the ROCm kernel interface (/dev/kfd) is present
    rocm_version: str | None = None
    gpus: list[str] = []


class AppleInfo(_Data):
    apple_silicon: bool = False
    chip: str | None = None
    rosetta: bool = False  # this Python runs translated (x86_64 on an Apple Silicon Mac)
    macos_version: str | None = None


class CudaToolkit(_Data):
    """A CUDA toolkit installed on the system (nvcc), apart from the driver and from what each framework bundles."""

    version: str
    path: str  # the nvcc that answered
    source: str  # how it was found: PATH, CUDA_HOME, CUDA_PATH or a standard location


class MachineInfo(_Data):
    os: str  # linux / windows / macos, or the platform's own name elsewhere
    os_name: str
    arch: str
    nvidia: NvidiaDriver
    wsl: bool = False
    cpu: str = "unknown CPU"
    cores: int | None = None
    ram_gib: float | None = None
    amd: AmdInfo = AmdInfo()
    apple: AppleInfo = AppleInfo()
    visible_devices: dict[str, str] = {}  # CUDA_VISIBLE_DEVICES and friends, when set
    cuda_toolkit: CudaToolkit | None = None  # the system's nvcc, when there is one
    examined_at: str = ""  # when these facts were gathered (they are cached)
    cache_note: str = ""  # "cached 12 min ago; --refresh to probe again" when they came from the cache


# --- what a worker prints ---------------------------------------------------------------

class WorkerDevice(_WorkerData):
    kind: DeviceKind
    name: str
    index: Annotated[int, msgspec.Meta(ge=0)] = 0
    memory_gib: Amount | None = None
    compute_capability: str | None = None
    bf16: bool | None = None  # native (not emulated) bf16 matmuls
    fp16: bool | None = None


class WorkerBuild(_WorkerData):
    flavour: BuildFlavour
    label: str  # e.g. "CUDA 12.8"
    cuda: str | None = None
    cudnn: str | None = None
    rocm: str | None = None


class WorkerMemoryGrowth(_WorkerData):
    grabs_all_memory: bool | None
    detail: str
    fix: str = ""


class WorkerPython(_WorkerData):
    version: str
    executable: str
    machine: str = ""


class ProbedFields(FrozenStruct, kw_only=True):
    """What a worker found about its framework: carried over as is from WorkerProbe into FrameworkReport."""

    version: str | None = None
    build: WorkerBuild | None = None
    devices: list[WorkerDevice] = []
    accelerator_error: str | None = None
    memory_growth: WorkerMemoryGrowth | None = None
    tf32_default: bool | None = None
    packages: dict[str, str] = {}
    env: dict[str, str] = {}
    warnings: list[str] = []
    import_s: Amount | None = None
    device_init_s: Amount | None = None  # finding the devices and running a first operation on the first accelerator
    backend: str | None = None  # the platform it runs operations on by default, where it says (jax.default_backend())


class WorkerProbe(ProbedFields, forbid_unknown_fields=True):
    kind: Literal["probe"]
    protocol: int
    framework: FrameworkId
    python: WorkerPython
    installed: bool
    import_error: str | None = None


class WorkerMatmul(_WorkerData):
    device: str
    precision: Precision
    size: Count  # n of the n x n matmul that gave the best figure
    sizes: list[Count]
    tflops_best: Amount
    tflops_median: Amount
    samples: Count


class WorkerBench(_WorkerData):
    kind: Literal["bench"]
    results: list[WorkerMatmul] = []
    tf32_note: str = ""
    error: str | None = None


class WorkerCheckResult(_WorkerData):
    status: Literal["pass", "fail", "error", "n/a"]  # n/a: the check cannot apply here (the detail says why)
    detail: str = ""


class WorkerChecks(_WorkerData):
    kind: Literal["checks"]
    protocol: int
    framework: FrameworkId
    installed: bool
    import_error: str | None = None
    version: str | None = None
    results: list[WorkerCheckResult] = []


# --- the report ---------------------------------------------------------------------------

class Matmul(_Data):
    device: str
    device_name: str
    precision: Precision
    size: int
    sizes: list[int]
    tflops_best: float
    tflops_median: float
    samples: int
    peak_tflops: float | None = None
    share_of_peak: float | None = None  # tflops_best / peak_tflops
    peak_device: str | None = None  # the devices.yaml entry the peak came from


class FrameworkReport(ProbedFields):
    framework: FrameworkId
    python: str
    status: FrameworkStatus
    reason: str = ""  # why the status is not "ok", in plain words
    stderr_tail: list[str] = []
    python_version: str | None = None
    install_command: str | None = None
    install_note: str = ""
    bench: list[Matmul] = []
    bench_status: str = "skipped"  # "ok", "skipped", or why it did not finish
    tf32_note: str = ""
    probed_at: str = ""
    cached: bool = False
    cache_note: str = ""  # "cached 12 min ago; --refresh to probe again" when it came from the cache

    @property
    def usable(self) -> bool:
        return self.status == "ok"

    @property
    def accelerators(self) -> list[WorkerDevice]:
        return [d for d in self.devices if d.kind in ACCELERATOR_KINDS]

    @property
    def gpus(self) -> list[WorkerDevice]:
        return [d for d in self.devices if d.kind in GPU_KINDS]


class Diagnosis(_Data):
    severity: Severity
    code: str
    message: str
    fix: str = ""  # what to do, in words, with the command when there is one
    framework: FrameworkId | None = None
    python: str | None = None
    command: str = ""  # the shell command in `fix`, alone, for a screen to show on its own line

    @property
    def fix_words(self) -> str:
        """`fix` without its command (which a screen shows on a line of its own)."""
        return self.fix.replace(f": {self.command}", "", 1) if self.command else self.fix


class CapabilityCell(_Data):
    ok: bool | None  # None: does not apply here
    reason: str


class Capability(_Data):
    feature: str
    frameworks: dict[str, CapabilityCell | None] = {}  # by framework id; None: probed, but does not apply


class Environment(_Data):
    python: str
    python_version: str | None = None
    chosen_by: str = ""  # why this interpreter: --python, the activated VIRTUAL_ENV / CONDA_PREFIX, or fwguide's own
    frameworks: list[FrameworkReport] = []
    capabilities: list[Capability] = []

    def framework(self, name: str) -> FrameworkReport | None:
        return next((f for f in self.frameworks if f.framework == name), None)


class ProbeReport(_Data, kw_only=True):
    """The whole probe result; `to_json_dict()` is what `probe-gpu --json` prints."""

    schema_version: int = SCHEMA_VERSION
    fwguide_version: str
    created: str
    host: str = ""  # the machine's host name, so reports from many machines can be told apart (`fwguide fleet`)
    probed_at: str = ""  # when this report was made (ISO 8601, UTC); "" in reports from before it was added
    machine: MachineInfo
    environments: list[Environment]
    diagnoses: list[Diagnosis] = []
    facts: list[str] = []

    def to_json_dict(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)

    @property
    def primary(self) -> Environment | None:
        """The first probed environment: the one `ask` reasons about."""
        return self.environments[0] if self.environments else None
