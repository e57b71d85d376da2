"""The bad-input table: one row per bad (or edge) input to tfbsl's public API.

Each family has a module here with a list `ROWS` of `Row`s; `tests/test_bad_inputs.py`
runs them all as one parametrised test. A row names its case, holds a
zero-argument `call` that must raise `error`, and the words the message must
contain (the argument's name as the user wrote it and the value received).
"""

import dataclasses
from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class Row:
    id: str
    call: Callable[[], object]
    error: type
    words: tuple = ()


def rows(*items):
    """`Row`s from `(id, call, error, words...)` tuples."""
    return [Row(i, call, error, tuple(words)) for i, call, error, *words in items]
