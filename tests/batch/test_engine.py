"""The vectorised engine says what per-row ``check()`` says (fast checks; the property test in
test_properties.py does the same on random batches)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.csv as pacsv

from postcheck.rules import report_order, rules


def _table(rows: list[dict[str, str]]) -> pa.Table:
    cols = sorted({k for r in rows for k in r})
    return pa.table({c: pa.array([r.get(c, "") for r in rows], pa.string()) for c in cols})


def both(engines, rows: list[dict[str, str]]) -> tuple[list[dict], list[dict]]:
    fast, slow = engines
    t = _table(rows)
    numbers = range(2, 2 + t.num_rows)
    a = fast.check_table(t, rows=numbers, source="in.csv").table().to_pylist()
    b = slow.check_table(t, rows=numbers, source="in.csv").table().to_pylist()
    return a, b


BASE = {"parcel_id": "P1", "service": "small_packet_usa_air", "origin": "CA", "destination": "US",
        "ship_date": "2022-03-01", "currency": "CAD", "form": "CN22", "category": "gift",
        "item1_description": "Wool scarf", "item1_net_weight": "300 g", "item1_value": "40.00"}


def test_generated_batch_equals_check(engines, sample_csv):
    t = pacsv.read_csv(sample_csv, convert_options=pacsv.ConvertOptions(
        column_types={c: pa.string() for c in sample_csv.read_text().splitlines()[0].split(",")}))
    fast, slow = engines
    numbers = range(2, 2 + t.num_rows)
    res = fast.check_table(t, rows=numbers, source="orders.csv")
    a = res.table().to_pylist()
    b = slow.check_table(t, rows=numbers, source="orders.csv").table().to_pylist()
    assert a == b
    assert res.fallback < 0.01 * t.num_rows  # the per-row path stays rare
    assert {r["status"] for r in a} == {"ok", "error", "unreadable"}


def test_rows_for_the_per_row_path_by_slices_or_by_take(engines, monkeypatch):
    # a parsed table comes in blocks; its few rows for the per-row path (here: two bad cells
    # each) are sliced out of it, many are taken: the same rows either way, and what check() says
    import postcheck.batch.engine as engine_mod

    rows = [dict(BASE, gross_weight="520 cm", origin="") if i % 20 == 7 else
            dict(BASE, gross_weight=f"{300 + i} g", postage_paid="12.83") for i in range(300)]
    t = pa.Table.from_batches(_table(rows).to_batches(max_chunksize=50))
    assert t.column(0).num_chunks == 6
    fast, slow = engines
    numbers = range(2, 2 + t.num_rows)
    res = fast.check_table(t, rows=numbers, source="in.csv")
    assert 0 < res.fallback <= engine_mod._FEW_ROWS
    by_slices = res.table().to_pylist()
    assert by_slices == slow.check_table(t, rows=numbers, source="in.csv").table().to_pylist()
    monkeypatch.setattr(engine_mod, "_FEW_ROWS", 0)
    assert fast.check_table(t, rows=numbers, source="in.csv").table().to_pylist() == by_slices


def test_step_edges_are_exact(engines):
    # 500 g is in the "up to 0.5 kg" step; 500.001 g is not
    rows = [dict(BASE, gross_weight=w, postage_paid="12.83") for w in ("500 g", "0.5 kg", "500.001 g", "500,001 g",
                                                                         "17.637 oz", "1.1023 lb", "1 lb 1.6 oz")]
    a, b = both(engines, rows)
    assert a == b
    assert [r["required"] for r in a][:4] == ["12.83", "12.83", "18.82", "18.82"]
    assert "P201" in a[2]["codes"] and a[2]["shortfall"] == "5.99"


def test_bad_rows_keep_their_place_and_reason(engines):
    rows = [dict(BASE, gross_weight="520 cm"), dict(BASE, service="express_teleport"), dict(BASE, origin=""),
            dict(BASE, gross_weight="520 cm", origin=""), dict(BASE, gross_weight="340 g", postage_paid="12.83")]
    a, b = both(engines, rows)
    assert a == b
    assert [r["row"] for r in a] == [2, 3, 4, 5, 6]
    assert [r["status"] for r in a] == ["unreadable"] * 4 + ["ok"]
    assert a[0]["error"].startswith("in.csv row 2: 1 problem reading the label")
    assert "gross_weight: a weight (g, kg, oz, lb), not a length" in a[0]["error"]
    assert "express_teleport" in a[1]["error"]
    assert "origin: required field is missing" in a[2]["error"]
    assert "2 problems" in a[3]["error"]


def test_messages_of_common_findings(engines):
    rows = [dict(BASE, packaging_weight="40 g", item1_net_weight="480 g", postage_paid="12.83"),  # short, net price
            dict(BASE, gross_weight="300 g", postage_paid="12.83"),  # gross = net
            dict(BASE, gross_weight="300 g", measured_weight="360 g", postage_paid="12.83"),
            dict(BASE, gross_weight="340 g", postage_paid="20.00", item1_description="Gift", tracking_number="RB123456786US"),
            dict(BASE, gross_weight="340 g", category="sale_of_goods", form="CN23")]
    a, b = both(engines, rows)
    assert a == b
    assert a[0]["verdict"] == "Will be returned: short CAD 5.99"
    assert "W103" in a[1]["codes"] and "W104" in a[2]["codes"]
    assert a[3]["codes"] == ["C305", "I401", "P202"]


def test_the_engine_runs_every_rule_of_the_registry_in_report_order(engines):
    fast, _ = engines
    assert [r.code for r in fast.rules] == [r.code for r in sorted(rules(), key=report_order)]
    assert all(r.columns is not None for r in rules())  # every bundled rule has its column form


def test_other_columns_and_layouts(engines):
    rows = [dict(BASE, gross_weight="340 g", postage_paid="12.83", item3_description="Linen towel",
                 item3_net_weight="20 g", item3_value="5"),  # item3 without item2: "Line 2"
            dict(BASE, gross_weight="340 g", item2_net_weight="20 g"),  # item2 without description
            dict(BASE, gross_weight="340 g", comments="fragile", order_id="A-1")]
    a, b = both(engines, rows)
    assert a == b
    assert "item2_description: required field is missing" in a[1]["error"]


def test_over_weight_limit_is_decided_on_columns(engines):
    """P203 both ways check() words it: heavier than the product's limit (decided on columns), and
    a chargeable (volumetric) weight past the last price step (row by row)."""
    ga = {"parcel_id": "G1", "service": "ground_advantage_retail", "origin": "US", "destination": "US", "zone": "5",
          "ship_date": "2025-11-01", "currency": "USD", "postage_paid": "20.00", "gross_weight": "30 lb",
          "dimensions": "30 x 24 x 20 in"}  # volumetric 86.7 lb, within the size limits
    rows = [dict(BASE, gross_weight="2.1 kg", postage_paid="18.82"), dict(BASE, gross_weight="2000.001 g"), ga]
    a, b = both(engines, rows)
    assert a == b
    assert all("P203" in r["codes"] for r in a)
    assert a[0]["messages"][0] == "2.100 kg is over the 2 kg limit of Small Packet USA Air."
    # rounded to the gram the weight would read as the limit itself: said in grams
    assert a[1]["messages"][0] == "2000.001 g is over the 2 kg limit of Small Packet USA Air."
    assert "past the last price step" in a[2]["messages"][a[2]["codes"].index("P203")]
    assert a[0]["verdict"].startswith("Not ready to drop off: over-weight-limit")
    fast, _ = engines
    for row in rows:
        res = fast.check_table(_table([row]), rows=[2], source="in.csv")
        assert res.fallback == (1 if "dimensions" in row else 0)  # sizes still go row by row


def _row(label: dict, measured: str | None) -> dict[str, str]:
    """A label in the CSV row format (addresses left out: they have no columns)."""
    row = {k: str(v) for k, v in label.items() if not isinstance(v, (dict, list))}
    for k, item in enumerate(label.get("items", []), start=1):
        row.update({f"item{k}_{f}": str(v) for f, v in item.items()})
    if measured:
        row["measured_weight"] = measured
    return row


def test_every_rules_case_is_decided_alike_by_both_engines(engines):
    """The one case per rule of tests/unit/test_rules.py, bad and corrected, as a batch: the
    vectorised engine (column forms) says what check() says."""
    from tests.unit.test_rules import CASES, MEASURED

    # a batch row whose service postcheck has no tariff of is unreadable there, as check() says it
    # is; only the command line's check reports it as service-not-priced (P211)
    cases = {name: case for name, case in CASES.items() if name != "service-not-priced"}
    rows = []
    for name, (bad, fixed) in sorted(cases.items()):
        m_bad, m_fixed = MEASURED.get(name, (None, None))
        rows += [_row(bad, m_bad), _row(fixed, m_fixed)]
    a, b = both(engines, rows)
    assert a == b
    by_name = {r.name: r.code for r in rules()}
    for k, name in enumerate(sorted(cases)):
        assert by_name[name] in a[2 * k]["codes"], (name, a[2 * k])
        assert by_name[name] not in a[2 * k + 1]["codes"], (name, a[2 * k + 1])
