"""Small rulebooks built in code, so each engine test states exactly the rules it relies on."""

from __future__ import annotations

import datetime

from fwguide.rulebook.schema import (
    Alternative,
    Category,
    CurrentVerdict,
    Evidence,
    InstallOption,
    Meta,
    Rulebook,
    Scoring,
    WeightRule,
)

ANSWERS = {
    "scale": "research", "deploy": ["none"], "hardware": ["cpu"], "os": "linux", "experience": "python-numpy",
    "existing_code": "none", "workload": "train-own", "model_family": "other", "pipeline": False,
    "custom_kernels": False, "visualization": False,
}

INSTALL = [
    InstallOption(framework="pytorch", os=["linux"], compute="cuda", command="pip install torch",
                  source="https://pytorch.org/get-started/locally/"),
    InstallOption(framework="pytorch", os=["linux"], compute="rocm", command="pip install torch --index-url rocm",
                  source="https://pytorch.org/get-started/locally/"),
    InstallOption(framework="pytorch", os=["linux", "windows", "macos"], compute="cpu", command="pip install torch-cpu",
                  source="https://pytorch.org/get-started/locally/"),
    InstallOption(framework="pytorch", os=["macos"], compute="mps", command="pip install torch-mac",
                  source="https://pytorch.org/get-started/locally/"),
    InstallOption(framework="tensorflow", os=["windows"], compute="cuda", command="use WSL2",
                  source="https://www.tensorflow.org/install/pip"),
    InstallOption(framework="tensorflow", os=["linux", "windows", "macos"], compute="cpu",
                  command="pip install tensorflow-cpu", source="https://www.tensorflow.org/install/pip"),
]


def rule(when: dict, weight: float = 1.0, winner: str | None = None, hard: bool = False,
         because: str = "A reason.", unless: dict | None = None, constraint: str = "") -> WeightRule:
    return WeightRule(when=when, weight=weight, winner=winner, hard=hard, because=because, unless=unless or {},
                      constraint=constraint or ("A target only one framework serves." if hard else ""))


def category(cid: str, winner: str = "tie", base: float = 1.0, rules: tuple[WeightRule, ...] = ()) -> Category:
    return Category(
        id=cid, title=cid.replace("-", " ").capitalize(), kind="new",
        current=CurrentVerdict(winner=winner, summary=f"Verdict on {cid}. Details follow.",
                               as_of=datetime.date(2026, 1, 1),
                               evidence=[Evidence(claim="claim", source="https://example.org/evidence")]),
        scoring=Scoring(base=base, rules=list(rules)),
    )


def rulebook(*categories: Category, alternatives: tuple[Alternative, ...] = (),
             questions: list | None = None) -> Rulebook:
    return Rulebook(meta=Meta(version="test", as_of=datetime.date(2026, 1, 1)), questions=questions or [],
                    categories=list(categories), install=INSTALL, devices=[], alternatives=list(alternatives))


def answers(**changes: object) -> dict:
    return {**ANSWERS, **changes}
