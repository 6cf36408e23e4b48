"""The battery reuses the probe tests' bare interpreter and fake interpreters."""

from tests.probe.conftest import bare_python, fake_python  # noqa: F401 - fixtures, registered by name
