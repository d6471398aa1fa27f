"""The strict loader: every broken tariff file is a TariffFileError naming the file and the key.

Each test edits a copy of the demo fixture (tests/fixtures/rates/demo/parcel_demo) in tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from postcheck.errors import TariffFileError
from postcheck.tariffs import Rates, read_tariff, validate_dir

DEMO = Path("demo") / "parcel_demo"
FIRST = "2024-01-01.toml"
SECOND = "2025-01-01.toml"


def edit(root: Path, name: str, old: str, new: str) -> Path:
    path = root / DEMO / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def read_error(path: Path) -> TariffFileError:
    with pytest.raises(TariffFileError) as info:
        read_tariff(path)
    return info.value


def load_error(root: Path) -> TariffFileError:
    with pytest.raises(TariffFileError) as info:
        Rates.load([root], bundled=False, env=False)
    return info.value


def assert_names(e: TariffFileError, path: Path, key: str) -> None:
    assert e.path == str(path)
    assert e.key == key
    assert str(path) in str(e)
    assert key in str(e)


def test_unmodified_copy_loads(demo_copy: Path) -> None:
    assert validate_dir(demo_copy) == []
    assert read_tariff(demo_copy / DEMO / FIRST).id == "demo_parcel"


ONE_FILE_BREAKAGES = [
    # (name, text replaced, replacement, key named, words in the problem)
    ("unknown key", 'customs_form = "CN22"\n', 'customs_form = "CN22"\ncolour = "red"\n', "colour", "unknown key"),
    ("unknown nested key", 'rounding = "none"\n', 'rounding = "none"\nround = "up"\n', "weight.round", "unknown key"),
    ("step bound repeated", 'up_to = "500"', 'up_to = "100"', "steps[1].up_to", "repeats"),
    ("step bounds overlap", 'up_to = "500"', 'up_to = "50"', "steps[1].up_to", "overlaps"),
    ("price as TOML float", 'prices = { A = "1.00", B = "2.00" }', 'prices = { A = 1.00, B = "2.00" }',
     "steps[0].prices.A", "decimal string"),
    ("price not a number", 'B = "2.00" }', 'B = "abc" }', "steps[0].prices.B", "'abc'"),
    ("price missing for a zone", 'prices = { A = "1.00", B = "2.00" }', 'prices = { A = "1.00" }',
     "steps[0].prices", "zone(s) B"),
    ("missing currency", 'currency = "EUR"\n', "", "currency", "missing"),
    ("currency CDN", 'currency = "EUR"', 'currency = "CDN"', "currency", "CDN"),
    ("currency EURO", 'currency = "EUR"', 'currency = "EURO"', "currency", "EURO"),
    ("currency lower case", 'currency = "EUR"', 'currency = "eur"', "currency", "eur"),
    ("duplicate TOML key", 'operator = "Demo Post"\n', 'operator = "Demo Post"\noperator = "Other Post"\n',
     "operator", "invalid TOML"),
    ("duplicate key in inline table", 'prices = { A = "1.00", B = "2.00" }', 'prices = { A = "1.00", A = "2.00" }',
     "A", "invalid TOML"),
    ("undated source with a date", 'pages = "n/a"\n', 'pages = "n/a"\nundated = true\n', "effective_from",
     "undated"),
    ("until before from", "effective_until = 2024-12-31", "effective_until = 2023-12-31", "effective_until",
     "before"),
]


@pytest.mark.parametrize(("old", "new", "key", "words"), [c[1:] for c in ONE_FILE_BREAKAGES],
                         ids=[c[0] for c in ONE_FILE_BREAKAGES])
def test_broken_file_names_file_and_key(demo_copy: Path, old: str, new: str, key: str, words: str) -> None:
    path = edit(demo_copy, FIRST, old, new)
    e = read_error(path)
    assert_names(e, path, key)
    assert words in e.problem
    # the folder is refused whole, naming the same file and key
    assert_names(load_error(demo_copy), path, key)
    assert [(x.path, x.key) for x in validate_dir(demo_copy)] == [(str(path), key)]


def test_overlapping_validity_of_two_files(demo_copy: Path) -> None:
    path = edit(demo_copy, FIRST, "effective_until = 2024-12-31", "effective_until = 2025-01-01")
    second = demo_copy / DEMO / SECOND
    errors = validate_dir(demo_copy)
    assert len(errors) == 1
    assert_names(errors[0], second, "effective_from")
    assert str(path) in errors[0].problem  # names the other file too
    e = load_error(demo_copy)
    assert_names(e, second, "effective_from")


def test_same_start_date_twice(demo_copy: Path) -> None:
    edit(demo_copy, SECOND, "effective_from = 2025-01-01", "effective_from = 2024-01-01")
    edit(demo_copy, SECOND, "effective_until = 2025-12-31", "effective_until = 2024-12-31")
    e = load_error(demo_copy)
    assert e.key == "effective_from"
    assert "overlaps" in e.problem


def test_undated_and_dated_tables_of_one_product_conflict(demo_copy: Path) -> None:
    path = edit(demo_copy, SECOND, "effective_from = 2025-01-01\neffective_until = 2025-12-31\n", "")
    edit(demo_copy, SECOND, 'pages = "n/a"\n', 'pages = "n/a"\nundated = true\n')
    assert read_tariff(path).undated
    e = load_error(demo_copy)
    assert_names(e, path, "source.undated")
    assert str(demo_copy / DEMO / FIRST) in e.problem


def test_wrong_worked_example_is_reported(demo_copy: Path) -> None:
    path = edit(demo_copy, FIRST, 'price = "3.00"', 'price = "3.01"')
    errors = validate_dir(demo_copy)
    assert len(errors) == 1
    assert_names(errors[0], path, "examples[0]")
    assert "3.01" in errors[0].problem and "3.00" in errors[0].problem


def test_one_error_message_counts_the_others(demo_copy: Path) -> None:
    edit(demo_copy, FIRST, 'currency = "EUR"', 'currency = "CDN"')
    edit(demo_copy, SECOND, 'currency = "EUR"', 'currency = "CDN"')
    e = load_error(demo_copy)
    assert "1 more" in e.problem
    assert len(validate_dir(demo_copy)) == 2


def test_not_utf8_and_not_toml(demo_copy: Path) -> None:
    path = demo_copy / DEMO / FIRST
    path.write_bytes(b"format = 1\nid = \"\xff\"\n")
    assert "UTF-8" in read_error(path).problem
    path.write_text("format = = 1\n", encoding="utf-8")
    assert "invalid TOML" in read_error(path).problem


def test_empty_folder(tmp_path: Path) -> None:
    errors = validate_dir(tmp_path)
    assert len(errors) == 1 and "no .toml" in errors[0].problem
    with pytest.raises(TariffFileError, match="no .toml"):
        Rates.load([tmp_path], bundled=False, env=False)
