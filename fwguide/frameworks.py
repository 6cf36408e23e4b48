"""Every framework fwguide knows, in one table: what it is called, how it is imported, probed and installed,
and how it behaves where frameworks differ (GPU memory, the Apple GPU, native Windows).

The rest of fwguide reads this registry and lists no framework of its own, nor branches on one. Adding one to
the probe is a worker script (see fwguide/probe/workers/) and an entry here, or a call to
`register()` before the CLI is built. The recommendation itself chooses between the two
frameworks in `DECISION`: the rulebook's verdicts, snippets and scores are about them.

Only the standard library is imported here: every command reads this module at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from fwguide.errors import FwguideError

WORKERS = Path(__file__).resolve().parent / "probe" / "workers"


class Memory(NamedTuple):
    """How a framework takes GPU memory by default, and how to make it share the GPU."""

    up_front: bool | None = None  # reserves memory before it needs it (None: not known)
    default: str = ""  # what it does by default, in a few words: "caching allocator takes memory as needed"
    fix: str = ""  # how to make it take memory as needed


class AppleGpu(NamedTuple):
    """How a framework reaches the GPU of an Apple Silicon Mac, and what to say when it does not."""

    flavour: str = ""  # the build flavour that carries the Apple GPU inside the framework ("mps")
    device: str = ""  # its name for that device, as shown: "mps"
    min_macos: tuple[int, int] | None = None  # the oldest macOS that device runs on
    unbuilt: str = ""  # why a build without the flavour cannot use it
    install: str = ""  # the fix for such a build
    plugin: str = ""  # the distribution that adds an Apple GPU device ("tensorflow-metal")
    plugin_note: str = ""  # what is known about that plugin failing
    absent: str = ""  # the finding when neither is there
    fix: str = ""  # what to do instead


class Framework(NamedTuple):
    id: str  # lower case, as in the rulebook and in JSON: "pytorch"
    title: str  # as people write it: "PyTorch"
    module: str  # what `import` names: "torch"
    worker: Path  # the script that probes it (run by path in the probed interpreter)
    aliases: tuple[str, ...]  # what --framework accepts; the first is the one shown in help
    distributions: tuple[str, ...]  # pip distributions that provide it, the most specific first
    package_prefixes: tuple[str, ...]  # installed distributions whose change can change what the worker finds
    target_roots: tuple[str, ...]  # how a rulebook check's dotted target may start: "torch", "tf"
    install_key: str = ""  # its key in rules/install.yaml, when that is not its id
    imports: tuple[str, ...] = ()  # top-level modules whose import in a project means this framework
    requirements: tuple[str, ...] = ()  # distribution names (and "name-" prefixes) that mean it in a dependency file
    sources: tuple[tuple[str, str], ...] = ()  # (what, the API the worker asks) for probe-gpu --markdown
    env_prefixes: tuple[str, ...] = ()  # environment variables that change what it finds (a cached result's key)
    env_ignored: tuple[str, ...] = ()  # variables with those prefixes that change nothing it reports
    install_command: str = ""  # the command when the install table has none for this machine
    memory: Memory = Memory()
    apple: AppleGpu = AppleGpu()
    windows_gpu: bool = True  # its current releases use an NVIDIA GPU on native Windows (not only in WSL2)
    windows_gpu_last: str = ""  # the last release that did, when an older one did
    # What to do when its CUDA build sees no GPU though the driver reports one.
    gpu_not_found_fix: str = "reinstall the CUDA build"
    keras_backend: str = ""  # its name as a Keras 3 backend (KERAS_BACKEND), when it is one

    @property
    def cli_name(self) -> str:
        return self.aliases[0]

    @property
    def install_id(self) -> str:
        return self.install_key or self.id

    def source(self, what: str) -> str:
        return dict(self.sources).get(what, "")


TF_GROWTH_FIX = ("call tf.config.experimental.set_memory_growth(gpu, True) for each GPU before first use, "
                 "or set TF_FORCE_GPU_ALLOW_GROWTH=true")

PYTORCH = Framework(
    id="pytorch", title="PyTorch", module="torch", worker=WORKERS / "torch_worker.py",
    aliases=("torch", "pytorch"), distributions=("torch",),
    package_prefixes=("torch", "triton", "pytorch_triton", "nvidia_", "nvidia-"), target_roots=("torch",),
    imports=("torch", "torchvision", "torchaudio", "torchtext", "lightning", "pytorch_lightning"),
    requirements=("torch", "torchvision", "torchaudio", "torchtext", "pytorch", "pytorch-cuda", "pytorch-lightning",
                  "lightning"),
    sources=(("version", "torch.__version__"), ("build", "torch.version.cuda / .hip, torch.backends.mps"),
             ("cuda", "torch.version.cuda, torch.backends.cudnn.version()"),
             ("devices", "torch.cuda.get_device_properties"), ("distribution", "package metadata")),
    env_prefixes=("PYTORCH_", "TORCH_", "TORCHINDUCTOR_"), install_command="pip install torch",
    memory=Memory(up_front=False, default="caching allocator takes memory as needed"),
    apple=AppleGpu(flavour="mps", device="mps", min_macos=(14, 0),  # pytorch/pytorch#163515
                   unbuilt="this torch build has no MPS support",
                   install="pip install torch (the macOS arm64 wheels include MPS)"),
    keras_backend="torch",
)
TENSORFLOW = Framework(
    id="tensorflow", title="TensorFlow", module="tensorflow", worker=WORKERS / "tensorflow_worker.py",
    aliases=("tensorflow", "tf"), distributions=("tensorflow-cpu", "tensorflow-rocm", "tensorflow-macos", "tensorflow"),
    package_prefixes=("tensorflow", "tf_keras", "tf-keras", "keras", "tf_nightly", "nvidia_", "nvidia-"),
    target_roots=("tensorflow", "tf", "keras"),
    imports=("tensorflow", "tf_keras", "tensorflow_hub", "tensorflow_datasets", "tflite_runtime"),
    requirements=("tensorflow", "tensorflow-", "tf-keras", "tf-nightly", "tflite-runtime"),
    sources=(("version", "tf.__version__"), ("build", "tf.sysconfig.get_build_info()"),
             ("cuda", "tf.sysconfig.get_build_info()"),
             ("devices", "tf.config.list_physical_devices, get_device_details"), ("distribution", "package metadata")),
    env_prefixes=("TF_", "KERAS_", "XLA_"), env_ignored=("TF_CPP_MIN_LOG_LEVEL",),  # the worker sets it itself
    install_command="pip install tensorflow",
    memory=Memory(up_front=True, default="reserves nearly all memory of each GPU it initialises (memory growth off)",
                  fix=TF_GROWTH_FIX),
    # https://www.tensorflow.org/install/pip; tensorflow-metal: tensorflow/tensorflow#84167, #81987
    apple=AppleGpu(plugin="tensorflow-metal",
                   plugin_note="users report the plugin failing to load with TensorFlow 2.18 and later",
                   absent="TensorFlow has no official GPU support on macOS; it runs on the CPU here",
                   fix="run TensorFlow on the CPU here, or use PyTorch's mps device for the Apple GPU"),
    windows_gpu=False,  # GPU support on native Windows ended with TensorFlow 2.10
    windows_gpu_last="2.10",
    # each release expects the CUDA and cuDNN it was built against: a mismatch shows as "no GPU found"
    gpu_not_found_fix="install the CUDA and cuDNN libraries this release was built against",
    keras_backend="tensorflow",
)
JAX = Framework(
    id="jax", title="JAX", module="jax", worker=WORKERS / "jax_worker.py",
    aliases=("jax",), distributions=("jax", "jaxlib"),
    package_prefixes=("jax", "libtpu", "nvidia_", "nvidia-"), target_roots=("jax",),
    imports=("jax", "jaxlib", "flax", "optax", "haiku", "equinox", "orbax"),
    requirements=("jax", "jaxlib", "jax-", "flax", "optax", "dm-haiku", "equinox", "orbax-checkpoint"),
    sources=(("version", "jax.__version__"), ("build", "jax plugin packages, jax.lib.__version__"),
             ("cuda", "the jax-cuda plugin's package metadata"), ("devices", "jax.devices()"),
             ("distribution", "package metadata")),
    env_prefixes=("JAX_", "XLA_", "TPU_"), install_command="pip install jax",
    # https://docs.jax.dev/en/latest/gpu_memory_allocation.html
    memory=Memory(up_front=True, default="preallocates 75% of each GPU's memory when it runs its first operation",
                  fix="set XLA_PYTHON_CLIENT_PREALLOCATE=false to allocate as needed, or XLA_CLIENT_MEM_FRACTION "
                      "(older releases read XLA_PYTHON_CLIENT_MEM_FRACTION) to reserve a smaller share"),
    # https://developer.apple.com/metal/jax/, https://pypi.org/project/jax-metal/
    apple=AppleGpu(plugin="jax-metal",
                   plugin_note="Apple's jax-metal is experimental; its newest release, 0.1.1, names jaxlib 0.4.34 "
                               "as its minimum, and newer jaxlib releases load it only with "
                               "ENABLE_PJRT_COMPATIBILITY=1",
                   absent="JAX reaches the Apple GPU only through Apple's experimental jax-metal plugin, which is not "
                          "installed: JAX runs on the CPU here",
                   fix="pip install jax-metal (experimental), or use PyTorch's mps device for the Apple GPU"),
    windows_gpu=False,  # NVIDIA GPUs only under WSL2 (experimental): docs.jax.dev/en/latest/installation.html
    keras_backend="jax",
)

# The two frameworks a recommendation chooses between.
DECISION: tuple[str, str] = (PYTORCH.id, TENSORFLOW.id)

_REGISTRY: dict[str, Framework] = {f.id: f for f in (PYTORCH, TENSORFLOW, JAX)}


def register(framework: Framework) -> None:
    """Add a framework to what the probe knows; its id and aliases must be new, its worker a file."""
    if not Path(framework.worker).is_file():
        raise ValueError(f"worker {framework.worker} of framework {framework.id!r} is not a file")
    taken = {name for known in _REGISTRY.values() for name in (known.id, *known.aliases)}
    clash = [name for name in (framework.id, *framework.aliases) if name in taken]
    if clash:
        raise ValueError(f"framework name {clash[0]!r} is already registered")
    _REGISTRY[framework.id] = framework


def known() -> tuple[Framework, ...]:
    """Every registered framework, the two of the decision first."""
    return tuple(_REGISTRY.values())


def ids() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def get(framework_id: str) -> Framework:
    """The framework with this id (KeyError for one fwguide does not know)."""
    return _REGISTRY[framework_id]


def find(name: str) -> Framework | None:
    """The framework an id or alias names (any case), or None."""
    wanted = name.strip().lower()
    return next((f for f in _REGISTRY.values() if wanted == f.id or wanted in f.aliases), None)


def ids_for(names: Iterable[str]) -> list[str]:
    """The ids that ids or aliases name, in order, each once; FwguideError for a name fwguide does not know."""
    found = []
    for name in names:
        framework = find(name)
        if framework is None:
            choices = " or ".join(f.cli_name for f in _REGISTRY.values())
            raise FwguideError(f"unknown framework {name!r}", hint=f"choose {choices}")
        found.append(framework.id)
    return list(dict.fromkeys(found))


def title(framework_id: str) -> str:
    """How people write it; a framework this fwguide does not know (a newer report's) keeps its id."""
    found = _REGISTRY.get(framework_id)
    return found.title if found else framework_id
