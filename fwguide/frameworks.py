"""Every framework fwguide knows, in one table: what it is called, how it is imported, probed and installed.

The rest of fwguide reads this registry and lists no framework of its own. Adding one to
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

    @property
    def cli_name(self) -> str:
        return self.aliases[0]

    @property
    def install_id(self) -> str:
        return self.install_key or self.id

    def source(self, what: str) -> str:
        return dict(self.sources).get(what, "")


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
)

# The two frameworks a recommendation chooses between.
DECISION: tuple[str, str] = (PYTORCH.id, TENSORFLOW.id)

_REGISTRY: dict[str, Framework] = {PYTORCH.id: PYTORCH, TENSORFLOW.id: TENSORFLOW}


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
