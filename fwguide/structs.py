"""The base of the typed data passed between layers: a frozen msgspec Struct whose subclasses are frozen too.

msgspec hands `frozen=True` on to subclasses; type checkers follow PEP 681, which does not, and
would call every subclass a non-frozen dataclass inheriting from a frozen one. The decorator
states what msgspec does (`frozen_default`), so they check these classes as the frozen types they are.
"""

import sys
from collections.abc import Callable
from typing import Any

import msgspec

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # it only informs type checkers, which read the 3.11 branch

    def dataclass_transform(**_: Any) -> Callable[[type], type]:
        return lambda cls: cls


@dataclass_transform(frozen_default=True, field_specifiers=(msgspec.field,))
class FrozenStruct(msgspec.Struct, frozen=True):
    """Immutable typed data; subclasses add fields and options (forbid_unknown_fields, kw_only)."""
