"""Install commands: the rulebook's install table read against a machine and an environment.

`choice` picks the table entry for plain machine facts (`choose_install`); `step` turns it into
the next step for this machine and environment (`next_step`); `versions` holds the release and
GPU-generation arithmetic. All of it is pure: the probe and `ask` hand the facts in.
"""

from fwguide.install.choice import InstallChoice, InstalledBuild, Where, choose_install, covers, newest_kernels
from fwguide.install.step import EnvironmentFacts, MachineFacts, for_interpreter, next_step
from fwguide.install.versions import at_least, at_most, gpu_generation, newer_than_checked, sm_name, version_tuple

__all__ = [
    "EnvironmentFacts", "InstallChoice", "InstalledBuild", "MachineFacts", "Where", "at_least", "at_most",
    "choose_install", "covers", "for_interpreter", "gpu_generation", "newer_than_checked", "newest_kernels",
    "next_step", "sm_name", "version_tuple",
]
