"""Hostile JSON labels and CSV rows: never an uncaught exception, always a message naming the
field, bounded time.  Bound checked here: each input answers in under 5 s."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import postcheck
from postcheck.cli import cli
from postcheck.errors import InvalidLabel, LabelReadError
from postcheck.inputs import read_labels

pytestmark = pytest.mark.slow

STORY = json.loads((Path(__file__).resolve().parents[2] / "examples" / "returned-parcel.json").read_text())
TOP_FIELDS = sorted(STORY) + ["gross_weight", "measured_weight", "zone", "explanation", "bogus_field"]
ITEM_FIELDS = sorted(STORY["items"][0]) + ["weight", "price"]

nasty_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "NaN", "nan g", "inf kg", "-1 g", "1e400 kg", "1e-400 g", "25 cm", "abc",
                     "0,5,5 kg", "1 lb 2 oz 3 g 4 kg 5 lb", "９ g", "5 g\x00", "\u202e5 g", "٣ kg",
                     "CAD -1", "USD 1e9999", "99999999999999999999999", "2022-02-30", "9999-12-31",
                     "ZZ", "ca", "cn 22", "CN24", "x" * 5000]),
    st.text(max_size=40),
)
json_values = st.recursive(nasty_scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)), max_leaves=12)


@st.composite
def mutated_labels(draw):
    lab = copy.deepcopy(STORY)
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["set", "drop", "item_set", "item_drop", "items"]))
        if action == "set":
            lab[draw(st.sampled_from(TOP_FIELDS))] = draw(json_values)
        elif action == "drop" and lab:
            lab.pop(draw(st.sampled_from(sorted(lab))), None)
        elif action in ("item_set", "item_drop") and isinstance(lab.get("items"), list) and lab["items"]:
            item = lab["items"][draw(st.integers(0, len(lab["items"]) - 1))]
            if isinstance(item, dict):
                if action == "item_set":
                    item[draw(st.sampled_from(ITEM_FIELDS))] = draw(json_values)
                elif item:
                    item.pop(draw(st.sampled_from(sorted(item))), None)
        elif action == "items":
            lab["items"] = draw(st.one_of(json_values, st.lists(st.builds(lambda: copy.deepcopy(STORY["items"][0])), max_size=50)))
    return lab


def _check_one(lab) -> None:
    t0 = time.perf_counter()
    try:
        report = postcheck.check(lab)
        assert report.verdict
        json.dumps(report.to_dict())
    except InvalidLabel as e:
        assert e.problems, "an InvalidLabel always names at least one problem"
        assert str(e)
    assert time.perf_counter() - t0 < 5


@given(mutated_labels())
def test_mutated_labels_give_a_report_or_a_named_error(lab):
    _check_one(lab)


@given(json_values)
def test_any_json_value_as_a_label(value):
    _check_one(value) if isinstance(value, dict) else pytest.raises(InvalidLabel, postcheck.check, value)


@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda s: s.encode("utf-8")))
def test_arbitrary_bytes_as_a_json_file_exit_2_or_report(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("fz") / "label.json"
    p.write_bytes(data)
    r = CliRunner().invoke(cli, ["check", str(p), "--format", "json"])
    assert r.exit_code in (0, 1, 2), r.output
    assert "Traceback" not in r.output and "internal error" not in r.output


def test_huge_and_deep_json_is_refused_quickly(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    t0 = time.perf_counter()
    r = CliRunner().invoke(cli, ["check", str(deep)])
    assert r.exit_code == 2 and time.perf_counter() - t0 < 5
    many = copy.deepcopy(STORY)
    many["items"] = [STORY["items"][0]] * 5000
    p = tmp_path / "many.json"
    p.write_text(json.dumps(many))
    r = CliRunner().invoke(cli, ["check", str(p)])
    assert r.exit_code == 2 and "items" in r.output


csv_cells = st.one_of(st.text(max_size=20), st.sampled_from(['"', '""', '"a,b', "=1+1", "\r\n", "abc g", "-5 g",
                                                             "1,5 kg", "12,83", "CAD 12.83", "é"]))
HEADER = ["parcel_id", "service", "origin", "destination", "ship_date", "currency", "postage_paid", "form",
          "category", "packaging_weight", "item1_description", "item1_net_weight", "item1_value"]
GOOD_ROW = ["A1", "small_packet_usa_air", "CA", "US", "2022-03-01", "CAD", "12.83", "CN23", "gift", "40 g",
            "Wool scarf", "480 g", "40.00"]


@given(st.lists(st.lists(csv_cells, min_size=0, max_size=16), max_size=6),
       st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp1252"]))
def test_csv_rows_never_crash_and_rows_in_equal_rows_out(tmp_path_factory, rows, encoding):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    w.writerow(GOOD_ROW)
    for r in rows:
        w.writerow(r)
    p = tmp_path_factory.mktemp("fz") / "orders.csv"
    p.write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    try:
        got = list(read_labels(p))
    except LabelReadError as e:
        assert str(p) in str(e)
        return
    assert len(got) == 1 + len([r for r in rows if r])  # blank lines are not records
    assert got[0].label is not None
    for li in got:
        if li.label is None:
            assert isinstance(li.error, InvalidLabel) and "row" in li.source
        else:
            postcheck.check(li.label)


@given(st.binary(max_size=400))
def test_csv_bytes_never_crash(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("fz") / "orders.csv"
    p.write_bytes(b"service,origin,destination\n" + data)
    r = CliRunner().invoke(cli, ["check", str(p), "--format", "jsonl"])
    assert r.exit_code in (0, 1, 2)
    assert "Traceback" not in r.output and "internal error" not in r.output


def test_limits_are_configurable_by_environment_and_settings(tmp_path, monkeypatch):
    from postcheck.limits import reset

    story = Path(__file__).resolve().parents[2] / "examples" / "returned-parcel.json"
    monkeypatch.setenv("POSTCHECK_LIMIT_ITEMS", "1")
    r = CliRunner().invoke(cli, ["check", str(story)])
    assert r.exit_code == 2 and "limit items" in r.output
    monkeypatch.delenv("POSTCHECK_LIMIT_ITEMS")
    (tmp_path / "postcheck.toml").write_text("[limits]\ntext_chars = 10\n")
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["check", str(story)])
    assert r.exit_code == 2 and "limit text_chars" in r.output and "items[0].description" in r.output
    (tmp_path / "postcheck.toml").write_text("[limits]\npages = 10\n")
    r = CliRunner().invoke(cli, ["check", str(story)])
    assert r.exit_code == 2 and "limits.pages" in r.output
    reset()
