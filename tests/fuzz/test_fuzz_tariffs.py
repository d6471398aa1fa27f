"""Hostile tariff folders: the loader answers with TariffFileError naming file and key, or loads;
nothing else escapes, and the bundled tables keep working."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postcheck.errors import TariffFileError
from postcheck.tariffs import Rates, validate_dir
from postcheck.tariffs.catalog import load_layer

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "rates" / "demo" / "parcel_demo" / "2024-01-01.toml"
LINES = FIXTURE.read_text().splitlines()


@st.composite
def mutated_toml(draw):
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 5))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "dup", "num", "garble", "swap", "type"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "num":
            lines[i] = "".join(draw(st.sampled_from("0123456789.-")) if c.isdigit() else c for c in lines[i])
        elif op == "garble":
            lines[i] = draw(st.text(max_size=30))
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "type":
            lines[i] = lines[i].replace('"', "")
        if not lines:
            lines = ["x"]
    return "\n".join(lines)


@given(mutated_toml())
def test_mutated_tariff_files_are_refused_with_file_and_key_or_load(tmp_path_factory, text):
    d = tmp_path_factory.mktemp("rates") / "demo" / "parcel_demo"
    d.mkdir(parents=True)
    f = d / "2024-01-01.toml"
    f.write_text(text, encoding="utf-8", errors="surrogateescape") if True else None
    errors = validate_dir(d.parent.parent)
    for e in errors:
        assert isinstance(e, TariffFileError)
        assert str(f) in str(e) or str(d.parent.parent) in str(e)
    try:
        layer = load_layer(d.parent.parent)
    except TariffFileError:
        assert errors
        return
    # it loaded: it must then price its own examples (validate_dir ran them) and be usable
    assert not errors
    assert layer.products


def test_a_bad_user_folder_leaves_the_bundled_tables_working(tmp_path):
    (tmp_path / "bad.toml").write_text('format = 1\nid = "x"\nid = "y"\n')
    with pytest.raises(TariffFileError, match="bad.toml"):
        Rates.load([tmp_path], env=False)
    rates = Rates.load(env=False)
    assert rates.select("small_packet_usa_air", dt.date(2022, 3, 1)).tariff.steps[2].prices["US"] == Decimal("12.83")


def test_binary_and_huge_tariff_files(tmp_path):
    (tmp_path / "a.toml").write_bytes(b"\xff\xfe\x00garbage")
    errs = validate_dir(tmp_path)
    assert errs and "a.toml" in str(errs[0]) and "UTF-8" in str(errs[0])
    (tmp_path / "a.toml").write_bytes(b"x = 1\n" * 1_000_000)
    errs = validate_dir(tmp_path)
    assert errs and "5 MB" in str(errs[0])
