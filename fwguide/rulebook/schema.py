"""The rulebook's typed structure: every YAML file is checked against these types.

Each rulebook file is a mapping with any of the top-level sections of fwguide.rulebook.parse.SECTIONS;
the loader merges the files of a folder (and a team overlay) into one `Rulebook`.
"""

import datetime
from typing import Annotated, Literal

import msgspec

from fwguide.structs import FrozenStruct

Framework = Literal["pytorch", "tensorflow"]
Winner = Literal["pytorch", "tensorflow", "tie"]
CategoryKind = Literal["article", "article-note", "new"]
QuestionKind = Literal["one", "many", "yesno"]
Compute = Literal["cpu", "cuda", "rocm", "mps", "tpu"]  # tpu: a Cloud TPU VM, never this machine
OperatingSystem = Literal["linux", "windows", "macos"]
Confidence = Literal["strong", "moderate", "slight"]

# A `when` value: one choice, any of several choices, or a yes/no answer.
WhenValue = bool | str | list[str]


class _Strict(FrozenStruct, forbid_unknown_fields=True):
    pass


class Article(_Strict):
    title: str
    author: str
    year: int
    url: str


class Meta(_Strict):
    version: str
    as_of: datetime.date
    title: str = ""
    # "overlay" adds to / overrides the built-in rulebook; "replace" starts from nothing.
    mode: Literal["overlay", "replace"] = "overlay"
    article: Article | None = None
    # The release of each cited package (beyond the install table's frameworks) the rules were last checked
    # against, for `fwguide rules freshness`; a version of fewer parts ("5") stands for that whole series.
    checked: dict[str, "Checked"] = {}


class Choice(_Strict):
    id: str
    label: str
    help: str = ""
    # A few words for the result screen ("Android app"); the label is shown where there is none.
    short: str = ""


class Renamed(_Strict):
    """An old choice id: the choice it is read as now, and the finer choices that replaced it."""

    to: str
    split_into: list[str] = []


class Question(_Strict):
    id: str
    kind: QuestionKind
    prompt: str
    help: str
    default: WhenValue
    choices: list[Choice] = []
    # Choices of a "many" question that cannot be combined with any other choice.
    exclusive: list[str] = []
    # Choices of a "many" question that untick themselves when another is ticked in the questionnaire
    # ("CPU only" once a GPU is ticked); unlike `exclusive`, an answers file may still combine them.
    gives_way: list[str] = []
    # Pre-fill the answer from what the machine shows.
    detect: Literal["os", "hardware"] | None = None
    # Choice ids of earlier rulebooks that still load, each read as the choice that replaced it.
    renamed: dict[str, Renamed] = {}
    # Part of the answers contract (docs/design.md): every rulebook must keep its id, kind and choices.
    contract: bool = False
    # A fact about the team or the project rather than a choice it makes (its scale, its skills, its code):
    # what_would_change never proposes changing it first.
    fixed: bool = False
    # A yes/no question's answers in a few words for the result screen: {"yes": "...", "no": "..."}.
    says: dict[str, str] = {}


class SeedVerdict(_Strict):
    """The 2017 article's call; its notes (TensorBoard, Keras, TensorFlow Fold) called no winner."""

    summary: str
    winner: Winner | None = None  # None: a note, not a verdict


class Evidence(_Strict):
    claim: str
    source: str
    framework: Framework | None = None
    since: str | None = None  # framework version from which the claim holds


class CurrentVerdict(_Strict):
    winner: Winner
    summary: str
    as_of: datetime.date
    evidence: list[Evidence]


class Check(_Strict):
    """A live check, by name; fwguide implements each name (a rulebook never runs code)."""

    framework: Framework
    check: str
    target: str | None = None  # e.g. a dotted attribute path or a minimum version
    label: str = ""


class Snippet(_Strict):
    """The same small task in both frameworks; the tests execute every snippet."""

    task: str
    pytorch: str
    tensorflow: str


class WeightRule(_Strict):
    """Extra weight a category gets when the answers (and probe facts) match `when`.

    `when` maps question ids (or "facts", the probe's named facts) to the value(s)
    that trigger the rule; several keys must all match.
    """

    when: dict[str, WhenValue]
    weight: float
    because: str
    winner: Winner | None = None  # defaults to the category's current winner
    hard: bool = False  # a target only one framework can serve: decides the recommendation outright
    # The constraint in one sentence, as shown on screen ("Only TensorFlow Lite models run on a Coral Edge TPU.").
    constraint: str = ""
    # Skip the rule when any one of these answers is given (each key on its own), e.g. a team's PyTorch code.
    unless: dict[str, WhenValue] = {}


class Scoring(_Strict):
    base: Annotated[float, msgspec.Meta(ge=0, le=1000)] = 1.0  # a weight: never negative (NaN and inf are refused)
    rules: list[WeightRule] = []


class Category(_Strict):
    id: str
    title: str
    kind: CategoryKind
    current: CurrentVerdict
    scoring: Scoring
    aliases: list[str] = []
    seed: SeedVerdict | None = None
    checks: list[Check] = []
    snippets: list[Snippet] = []


class Checked(_Strict):
    """When an install entry was last checked against its sources, and for which framework release."""

    version: str
    date: datetime.date


class InstallOption(_Strict):
    """One entry of the install selector: framework x OS x compute platform (x build) -> command.

    Several entries may share a cell (e.g. CUDA 13 and CUDA 12.6 builds): the first whose
    requirements the machine meets is chosen (fwguide.install). Together the CUDA entries are a
    compatibility table: GPU generations (compute capability) x driver x wheel index x last release.
    """

    framework: str  # a framework's install key (fwguide.frameworks): pytorch, tensorflow, jax
    os: list[OperatingSystem]
    compute: Compute
    command: str
    source: str
    note: str = ""
    package: str = ""  # the distribution the command installs (torch, tensorflow, tensorflow-cpu, ...)
    variant: str = ""  # the build, in words: "CUDA 12.6 (cu126)"
    arch: list[str] = []  # CPU architectures it is for (x86_64, arm64); empty: any
    cuda: str | None = None  # the CUDA version the build bundles
    min_driver_cuda: str | None = None  # the newest CUDA the NVIDIA driver must support
    min_driver: str | None = None  # the same as an NVIDIA driver release (580 for CUDA 13), for messages
    min_compute_capability: str | None = None  # the oldest GPU architecture the build has kernels for
    max_compute_capability: str | None = None  # the newest one, when newer GPUs get no kernels from it
    index_url: str = ""  # the wheel index the command names (--index-url); "" for the package index
    last_release: str | None = None  # the last release built this way ("2.14"): the command pins it
    min_macos: str | None = None  # the oldest macOS its current releases install on
    max_rocm: str | None = None  # the newest ROCm release this route serves
    known_issue: str = ""  # an upstream issue about what the build does not cover (e.g. newer GPUs)
    checked: Checked | None = None


class DevicePeak(_Strict):
    """A device's published dense peak throughput, TFLOPS per precision."""

    name: str
    match: list[str]  # case-insensitive substrings of the device name
    peaks: dict[str, float]  # fp32 / tf32 / bf16 / fp16
    source: str
    compute_capability: str | None = None
    note: str = ""


class Alternative(_Strict):
    """Another path worth knowing about (JAX, Keras 3, a conversion route), shown when `when` matches.

    `when` uses the keys of a weight rule; `recommendation` and `confidence`, when set,
    also have to match the engine's result.
    """

    id: str
    name: str
    summary: str
    source: str
    when: dict[str, WhenValue] = {}
    unless: dict[str, WhenValue] = {}  # not shown when any one of these answers is given (each key on its own)
    recommendation: Framework | None = None
    confidence: list[Confidence] = []
    # A path that fits better than either framework when it shows (JAX for new TPU work; Keras 3 on a
    # close call): named on the one-screen result, not only under --details.
    screen: bool = False


class Split(_Strict):
    """A route that uses both frameworks, each for what it does best, named when the answers pull hard both ways.

    `when` uses the keys of a weight rule; the split shows only when it matches and the answers
    that were given or detected pull at least a few points towards each framework.
    """

    id: str
    summary: str  # the route in one sentence
    pytorch_for: str  # what PyTorch is used for on this route
    tensorflow_for: str
    source: str
    when: dict[str, WhenValue] = {}


ApiStatus = Literal["current", "deprecated", "removed"]
Effort = Literal["mechanical", "moderate", "rewrite"]


class ApiMatch(_Strict):
    """How `fwguide scan` recognises one API in a project's files, by name (nothing is imported or run)."""

    module: list[str] = []  # imports of these dotted modules, or of anything inside them
    attribute: list[str] = []  # these dotted paths, imported or reached through the file's import aliases
    literal: list[str] = []  # these words in code, notebooks, .env files and Dockerfiles
    argument: str = ""  # only calls passing this keyword argument ("dynamo=False")


class ApiEntry(_Strict):
    """One entry of the API map (rules/apis.yaml): an API, its status, and what replaces it."""

    id: str
    api: str  # as people write it: "tf.estimator"
    framework: str  # a registered framework id
    match: ApiMatch
    status: ApiStatus
    effort: Effort  # what replacing it takes
    source: str
    replacement: str = ""
    since: str | None = None  # the version it was deprecated or removed in
    last: str | None = None  # removed: the last version that still has it (the ceiling)
    package: str = ""  # the distribution `since` and `last` are versions of, when not the framework itself
    note: str = ""


class Rulebook(_Strict):
    meta: Meta
    questions: list[Question]
    categories: list[Category]
    install: list[InstallOption]
    devices: list[DevicePeak]
    sources: list[str] = []  # the files it was read from
    alternatives: list[Alternative] = []
    splits: list[Split] = []
    apis: list[ApiEntry] = []

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    def category(self, cid: str) -> Category | None:
        return next((c for c in self.categories if c.id == cid), None)
