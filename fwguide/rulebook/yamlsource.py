"""Safe YAML reading that remembers where each value came from.

Mappings and lists come back as `LineDict` / `LineList`, which carry the line of
every key or item, so a schema error at `$.categories[2].seed.winner` can be shown
as `deployment.yaml:14: categories[2].seed.winner: ...`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from fwguide.errors import FwguideError, located
from fwguide.safetext import BIDI_CLASS

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict):
    line: int = 0
    key_lines: dict[Any, int]
    file: Path  # set by the rulebook's parser: the file as shown in its problems
    entry_files: dict[Any, Path]  # set on a merged mapping: the file each key came from


class LineList(list):
    line: int = 0
    item_lines: list[int]
    file: Path  # set by the rulebook's parser: the file as shown in its problems


# Control characters, and the invisible bidirectional controls that make text read differently from its bytes.
_CONTROL = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{BIDI_CLASS}]")


_KINDS = {"LineList": "list", "LineDict": "mapping", "set": "set"}


def _refuse(node: Any, problem: str) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(None, None, problem, node.start_mark)


class _LineLoader(_Loader):  # type: ignore[misc, valid-type]  # the C loader where PyYAML has one, else the Python one
    """Safe loading that also refuses values Python cannot build or fwguide cannot trust, each at its line:
    impossible dates, numbers too long or not finite, keys that are lists or mappings, control characters."""

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise _refuse(node, f"{node.value!r} is not a real date ({exc})") from None

    def construct_yaml_int(self, node):
        try:
            return super().construct_yaml_int(node)
        except ValueError:  # over Python's limit on digits
            raise _refuse(node, f"a number of {len(node.value)} characters is too long") from None

    def construct_yaml_float(self, node):
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise _refuse(node, f"{node.value!r} is not a finite number")
        return value

    def construct_yaml_str(self, node):
        value = super().construct_yaml_str(node)
        found = _CONTROL.search(value)
        if found:
            raise _refuse(node, f"text with the control character {found.group()!r} (escape sequences are not allowed)")
        return value

    def construct_mapping(self, node, deep=False):
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                kind = _KINDS.get(type(key).__name__, type(key).__name__)
                raise _refuse(key_node, f"a key must be text or a number, not a {kind}") from None
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node, deep=False):
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _LineLoader.construct_yaml_timestamp)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _LineLoader.construct_yaml_int)
_LineLoader.add_constructor("tag:yaml.org,2002:float", _LineLoader.construct_yaml_float)
_LineLoader.add_constructor("tag:yaml.org,2002:str", _LineLoader.construct_yaml_str)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file safely; a syntax error or an unsafe tag is a located FwguideError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FwguideError(f"{path}: cannot read: {exc}") from None
    return read_yaml_text(text, str(path))


def read_yaml_text(text: str, name: str) -> Any:
    """Parse YAML text safely; errors are located as NAME:LINE (NAME may be "<stdin>")."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # a subclass of the safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor" in str(problem):
            problem = f"{problem} (data only: no Python or custom tags)"
        raise FwguideError(located(name, line, "", problem)) from None
    except yaml.YAMLError as exc:
        raise FwguideError(f"{name}: invalid YAML: {exc}") from None
    except RecursionError:
        raise FwguideError(f"{name}: invalid YAML: nested too deeply") from None
