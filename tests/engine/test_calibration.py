"""Published framework decisions, replayed through the engine with the built-in rulebook.

Each case encodes what its source says about the project (and only that; the rest
keeps the questionnaire's defaults), the framework the team chose, and the source.
A weight change that contradicts one of these documented decisions fails here.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from fwguide.engine import recommend
from fwguide.rulebook import load

RULEBOOK = load()
DEFAULTS = {q.id: q.default for q in RULEBOOK.questions} | {"os": "linux", "hardware": ["cpu"]}
ORDER = ["slight", "moderate", "strong"]


class Decision(NamedTuple):
    source: str
    why: str
    answers: dict
    chose: str | None  # None when the team chose neither framework (the alternatives are checked instead)
    at_least: str = "slight"
    alternatives: tuple[str, ...] = ()


DECISIONS = {
    "openai-standardises-on-pytorch-2020": Decision(
        "https://openai.com/index/openai-pytorch/",
        "Research productivity at scale on GPUs, generative-model iteration from weeks to days, and PyTorch "
        "bindings for their own block-sparse GPU kernels; the lab had used several frameworks, TensorFlow among them.",
        {"scale": "research", "hardware": ["nvidia-gpu", "multi-gpu"], "experience": "tensorflow", "custom_kernels": True},
        "pytorch", "strong"),
    "fastai-course-moves-from-keras-2017": Decision(
        "https://www.fast.ai/posts/2017-09-08-introducing-pytorch-for-fastai.html",
        "A course that had been taught in Keras was rebuilt on PyTorch: easier to debug and to teach, and what "
        "the researchers they follow and top Kaggle entrants used.",
        {"scale": "learning", "experience": "tensorflow", "existing_code": "tensorflow", "model_family": "vision",
         "hardware": ["nvidia-gpu"]},
        "pytorch", "moderate"),
    "tesla-autopilot-trains-in-pytorch-2019": Decision(
        "https://www.youtube.com/watch?v=oBklltKXtDE",
        "Multi-task vision networks (HydraNets) trained with PyTorch on GPU clusters and deployed to the car's own chip.",
        {"scale": "enterprise", "deploy": ["edge-device"], "hardware": ["multi-gpu"], "model_family": "vision",
         "experience": "pytorch"},
        "pytorch", "strong"),
    "nlp-startup-leaves-tf1-2020": Decision(
        "https://sunilprakash.com/writing/tensorflow-to-pytorch",
        "A small team with production NLP services in TensorFlow 1.x switched: debugging sessions was painful "
        "and new NLP models appeared in PyTorch first.",
        {"scale": "startup", "deploy": ["python-server"], "experience": "tensorflow", "existing_code": "tensorflow",
         "model_family": "llm-transformers"},
        "pytorch", "slight", ("keras-3-migration",)),
    "transformers-v5-is-pytorch-only-2025": Decision(
        "https://github.com/huggingface/transformers/pull/40760",
        "The main library of pretrained language models removed its TensorFlow and Flax classes.",
        {"scale": "startup", "deploy": ["python-server"], "hardware": ["nvidia-gpu"], "model_family": "llm-transformers"},
        "pytorch", "strong"),
    "meta-apps-ship-executorch-2025": Decision(
        "https://engineering.fb.com/2025/07/28/android/executorch-on-device-ml-meta-family-of-apps/",
        "On-device models in Instagram, WhatsApp and Messenger moved to ExecuTorch, keeping the path from PyTorch "
        "research to Android and iOS in one framework.",
        {"scale": "enterprise", "deploy": ["mobile-android", "mobile-ios"], "hardware": ["multi-gpu"],
         "model_family": "vision", "experience": "pytorch", "existing_code": "pytorch"},
        "pytorch", "strong", ("executorch",)),
    "modiface-try-on-in-the-browser-2020": Decision(
        "https://blog.tensorflow.org/2020/02/how-modiface-utilized-tensorflowjs-in-ar-makeup-in-browser.html",
        "Live augmented-reality make-up try-on brought to brand web pages with TensorFlow.js, running in the browser.",
        {"scale": "enterprise", "deploy": ["browser"], "hardware": ["nvidia-gpu"], "model_family": "vision"},
        "tensorflow", "strong", ("onnx-runtime-web",)),
    "particle-devices-run-tflite-micro-2019": Decision(
        "https://www.particle.io/blog/particle-machine-learning-101/",
        "Inference on Particle's microcontroller boards through TensorFlow Lite for Microcontrollers.",
        {"scale": "startup", "deploy": ["microcontroller"]},
        "tensorflow", "strong"),
    "production-team-keeps-tensorflow-2026": Decision(
        "https://dev.to/jtorchia/tensorflow-the-ml-elephant-thats-still-standing-19ca",
        "A team serving millions of requests a day, with TFLite models in iOS and Android apps, did not migrate: "
        "the serving layer, the deployment pipeline and the mobile models would all have to be rebuilt.",
        {"scale": "enterprise", "deploy": ["high-traffic-serving", "mobile-android", "mobile-ios"],
         "experience": "tensorflow", "existing_code": "tensorflow"},
        "tensorflow", "slight"),
    "deepmind-research-on-tpus-uses-jax-2020": Decision(
        "https://deepmind.google/discover/blog/using-jax-to-accelerate-our-research/",
        "A research lab training on TPUs built its stack on JAX rather than either framework.",
        {"scale": "research", "hardware": ["tpu"], "model_family": "reinforcement"},
        None, alternatives=("jax-on-tpu",)),
}


@pytest.mark.parametrize("name", list(DECISIONS))
def test_documented_decision_is_reproduced(name: str) -> None:
    decision = DECISIONS[name]
    assert decision.source.startswith("https://") and decision.why
    result = recommend({**DEFAULTS, **decision.answers}, RULEBOOK)
    if decision.chose is not None:
        assert result.recommendation == decision.chose, result.reasons
        assert ORDER.index(result.confidence) >= ORDER.index(decision.at_least), (result.confidence, result.scores)
    assert set(decision.alternatives) <= {a.id for a in result.alternatives}


def test_cases_cover_both_frameworks_and_a_hard_constraint() -> None:
    chosen = {d.chose for d in DECISIONS.values()}
    assert {"pytorch", "tensorflow"} <= chosen
    hard = [d for d in DECISIONS.values() if {"browser", "microcontroller"} & set(d.answers.get("deploy", []))]
    assert hard
