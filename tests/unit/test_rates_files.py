"""Every file in rates/ carries its source and worked examples, SDR tables included."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from postcheck.errors import TariffFileError
from postcheck.tariffs import bundled_dir
from postcheck.tariffs.model import read_sdr

FILES = sorted(bundled_dir().rglob("*.toml"))


def test_every_file_is_bundled():
    # 31 tariff tables (Canada Post's editions and plans, USPS, Deutsche Post) and 2 SDR tables
    assert len(FILES) == 33


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_file_has_source_and_worked_examples(path: Path):
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert doc["source"]["document"] and doc["source"]["pages"]
    assert len(doc["examples"]) >= 1


def test_sdr_examples_are_checked(tmp_path):
    src = next(p for p in FILES if p.parent.name == "sdr" and p.name == "2025-10-20.toml")
    table = read_sdr(src)
    assert str(table.per_sdr["CAD"] * 300) == "575.06100"  # 300 SDR = CAD 575.06, as the extract says
    bad = tmp_path / "2025-10-20.toml"
    bad.write_text(src.read_text().replace('value = "575.06"', 'value = "575.07"'))
    with pytest.raises(TariffFileError) as e:
        read_sdr(bad)
    assert str(bad) in str(e.value) and "examples[" in str(e.value) and "575.06" in str(e.value)
