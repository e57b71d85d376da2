"""Every row of the bad-input table raises its error, with a message naming
the argument and the value received (see `tests/bad_inputs`)."""

import importlib
import pkgutil

import pytest

import tests.bad_inputs as table

ROWS = [
    row
    for info in pkgutil.iter_modules(table.__path__)
    for row in importlib.import_module(f"{table.__name__}.{info.name}").ROWS
]


def test_ids_are_unique():
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_bad_input(row):
    with pytest.raises(row.error) as info:
        row.call()
    message = str(info.value)
    missing = [w for w in row.words if w not in message]
    assert not missing, f"message lacks {missing}: {message}"
