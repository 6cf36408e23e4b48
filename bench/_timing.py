"""Shared timing for the bench scripts: interleaved runs, medians, ratios to a floor."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

PYTHON = sys.executable


def time_command(argv: Sequence[str], env: dict[str, str] | None = None, cwd: str | None = None) -> float:
    # Bytecode caching on, as on a user's machine (this sandbox sets PYTHONDONTWRITEBYTECODE).
    full_env = {**os.environ, **(env or {})}
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                   env=full_env, check=False, cwd=cwd)
    return time.perf_counter() - start


def compare(floor: Sequence[str], cases: dict[str, Sequence[str]], runs: int = 30,
            env: dict[str, str] | None = None, targets: dict[str, float] | None = None,
            cwd: str | None = None) -> dict[str, float]:
    """Time the floor and each case `runs` times, interleaved so drift hits all alike; print ratios to the floor.

    The ratio is of the fastest runs (the 10th percentile): on a shared machine other work only ever
    adds time, so the fast end is the cost of the command itself. The median ratio is printed beside it.
    """
    samples: dict[str, list[float]] = {"floor": [], **{name: [] for name in cases}}
    for argv in [floor, *cases.values()]:  # one warm-up each (disk cache, .pyc, rulebook cache)
        time_command(argv, env, cwd)
    for _ in range(runs):
        samples["floor"].append(time_command(floor, env, cwd))
        for name, argv in cases.items():
            samples[name].append(time_command(argv, env, cwd))

    def fast(values: list[float]) -> float:
        return statistics.quantiles(values, n=10)[0]

    floor_fast, floor_median = fast(samples["floor"]), statistics.median(samples["floor"])
    print(f"{'floor: ' + ' '.join(floor[1:]):<58} {floor_fast * 1000:7.1f} ms  (median {floor_median * 1000:.1f} ms)")
    ratios = {}
    for name in cases:
        ratios[name] = fast(samples[name]) / floor_fast
        median = statistics.median(samples[name]) / floor_median
        target = (targets or {}).get(name)
        verdict = "" if target is None else ("  ok" if ratios[name] <= target else f"  over target {target}x")
        print(f"{name:<58} {fast(samples[name]) * 1000:7.1f} ms  {ratios[name]:5.2f}x (median {median:.2f}x){verdict}")
    return ratios
