"""``postcheck rates import``: the operators' price guides read into tariff files, checked
against the bundled tables and against figures read off the guides' pages."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from postcheck.cli import cli
from postcheck.errors import GuideError
from postcheck.tariffs import Rates, bundled_dir, price_parcel, validate_dir
from postcheck.tariffs.guide_pdf import Guide
from postcheck.tariffs.guides import import_guide
from postcheck.units import parse_weight

GUIDES = Path(os.environ.get("POSTCHECK_REFERENCE", "/work/shared/reference")) / "price-guides"
CONSUMER_2022 = GUIDES / "canadapost_consumer_updated_2022-01-10.pdf"
SMALL_BUSINESS_2022 = GUIDES / "canadapost_small_business_updated_2022-01-10.pdf"
CONSUMER_2020 = GUIDES / "canadapost_consumer_2020-01-13.pdf"


def guide(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"price guide {path} not available")
    return path


@pytest.fixture(scope="module")
def consumer_2022():
    return import_guide(guide(CONSUMER_2022))


@pytest.fixture(scope="module")
def small_business_2022():
    return import_guide(guide(SMALL_BUSINESS_2022))


def test_2022_guide_reproduces_the_bundled_tables(consumer_2022) -> None:
    assert not consumer_2022.problems
    assert len(consumer_2022.tariffs) == 6
    for rel, doc in consumer_2022.tariffs.items():
        bundled = tomllib.loads((bundled_dir() / rel).read_text(encoding="utf-8"))
        for key in ("zones", "steps", "beyond", "currency", "effective_from"):
            assert doc.get(key) == bundled.get(key), (rel, key)


def test_pages_read_are_reported(consumer_2022) -> None:
    used = {(u.page, u.what.split(" (")[0]) for u in consumer_2022.pages}
    assert (26, "Tracked Packet USA prices") in used
    assert (27, "Small Packet USA Air prices") in used
    assert (39, "Tracked Packet International country -> rate code table") in used
    assert (15, "Regular Parcel prices") in used and (16, "Regular Parcel prices") in used
    doc = consumer_2022.tariffs["canadapost/tracked_packet_usa/2021-09-13.toml"]
    assert doc["source"]["pages"] == "26"
    assert "canadapost_consumer_updated_2022-01-10.pdf" in doc["source"]["document"]


def test_tracked_packet_usa_half_kilo_on_the_pages() -> None:
    """The figures the plans test rests on, as printed: 18.97 on the consumer guide's p. 26,
    17.95 on the small-business guide's p. 33."""
    with Guide(guide(CONSUMER_2022)) as g:
        assert "0.5 1.1 $18.97" in g.lines(26)
    with Guide(guide(SMALL_BUSINESS_2022)) as g:
        assert any(line.startswith("0.5 1.1") and "17.95" in line for line in g.lines(33))


def test_small_business_plan(small_business_2022) -> None:
    doc = small_business_2022.tariffs["canadapost/tracked_packet_usa_small_business/2021-09-13.toml"]
    assert doc["plan"] == "small_business" and doc["product"] == "tracked_packet_usa"
    assert doc["steps"][2] == {"up_to": "0.5", "prices": {"US": "17.95"}}


def test_plans_price_the_same_parcel_differently() -> None:
    rates = Rates.load(env=False)
    date = dt.date(2022, 3, 1)
    grams = parse_weight("0.5 kg")
    counter = price_parcel(rates.select("tracked_packet_usa", date).tariff, weight_g=grams, destination="US")
    sb = price_parcel(rates.select("tracked_packet_usa_small_business", date).tariff, weight_g=grams,
                      destination="US")
    assert counter.price.amount == Decimal("18.97") and sb.price.amount == Decimal("17.95")
    assert rates.plans("tracked_packet_usa") == {"counter": "tracked_packet_usa",
                                                 "small_business": "tracked_packet_usa_small_business"}
    assert rates.plan_of("tracked_packet_usa", "small_business") == "tracked_packet_usa_small_business"
    assert rates.plan_of("tracked_packet_usa", None) == "tracked_packet_usa"
    assert rates.plan_of("fcpis", None) == "fcpis_retail"  # USPS: retail unless commercial is named
    assert rates.plan_of("fcpis_retail", "commercial") == "fcpis_commercial"
    assert rates.plan_of("warenpost_international_kilo", "commercial") == "warenpost_international_kilo"


def test_2020_layout() -> None:
    """The 2020 guide sets weights as "Over 250 g up to 500 g" and its labels apart from the
    prices; the importer reads them by position (p. 24: 0.5 kg 18.57; p. 39 Air code 2 0.1 kg 10.36)."""
    r = import_guide(guide(CONSUMER_2020))
    assert not r.problems
    usa = r.tariffs["canadapost/tracked_packet_usa/2020-01-13.toml"]
    assert [s["prices"]["US"] for s in usa["steps"]] == ["13.32", "16.98", "18.57", "21.11", "23.59", "26.04"]
    air = r.tariffs["canadapost/small_packet_international_air/2020-01-13.toml"]
    assert air["steps"][0] == {"up_to": "0.1", "prices": dict(zip([str(i) for i in range(1, 11)], [
        "10.84", "10.36", "12.62", "11.25", "11.63", "11.78", "11.78", "12.25", "12.21", "12.94"]))}
    parcel = r.tariffs["canadapost/regular_parcel/2020-01-13.toml"]
    assert parcel["steps"][0]["up_to"] == "0.75" and parcel["steps"][0]["prices"]["A1"] == "9.74"
    assert parcel["beyond"]["prices"]["A1"] == "0.27"


def test_products_option(tmp_path: Path) -> None:
    r = import_guide(guide(CONSUMER_2022), products=["tracked_packet_usa"])
    assert list(r.tariffs) == ["canadapost/tracked_packet_usa/2021-09-13.toml"]
    with pytest.raises(GuideError, match="unknown product"):
        import_guide(guide(CONSUMER_2022), products=["no_such_product"])


def test_unknown_documents_are_refused(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "menu.pdf"
    c = canvas.Canvas(str(pdf))
    c.drawString(72, 720, "Lunch menu: soup 4.50, bread 1.20")
    c.save()
    with pytest.raises(GuideError, match="not a price guide postcheck knows"):
        import_guide(pdf)
    text = tmp_path / "notes.pdf"
    text.write_text("not a pdf", encoding="utf-8")
    with pytest.raises(GuideError, match="not a readable PDF"):
        import_guide(text)


def test_command_writes_valid_files(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "rates"
    r = runner.invoke(cli, ["rates", "import", str(guide(SMALL_BUSINESS_2022)), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "p. 33  Tracked Packet USA prices" in r.output
    assert validate_dir(out) == []
    assert len(list(out.rglob("*.toml"))) == 6
    again = runner.invoke(cli, ["rates", "import", str(SMALL_BUSINESS_2022), "-o", str(out)])
    assert again.exit_code == 2 and "exists; use --force" in again.output
    forced = runner.invoke(cli, ["rates", "import", str(SMALL_BUSINESS_2022), "-o", str(out), "--force",
                                 "--product", "tracked_packet_usa_small_business"])
    assert forced.exit_code == 0, forced.output
    quoted = runner.invoke(cli, ["quote", "--from", "CA", "--to", "US", "--weight", "500g", "--date", "2022-03-01",
                                 "--plan", "small_business"])
    assert quoted.exit_code == 0 and "CAD 17.95" in quoted.output and "18.97" not in quoted.output


SB_LABEL = {"service": "tracked_packet_usa", "origin": "CA", "destination": "US", "ship_date": "2022-03-01",
            "currency": "CAD", "postage_paid": "17.95", "form": "CN23", "category": "gift",
            "gross_weight": "500 g",
            "items": [{"description": "Wool scarf", "quantity": 1, "net_weight": "460 g", "value": "40.00",
                       "hs_code": "6117.10", "origin_country": "CA"}]}


def test_small_business_postage_is_not_a_shortfall() -> None:
    """Tracked Packet USA, 0.5 kg, 2022-03-01: CAD 17.95 is the Small Business price, not a
    CAD 1.02 shortfall against the counter's 18.97."""
    from postcheck import check

    r = check(SB_LABEL)
    assert r.ok and not [f for f in r.findings if f.name == "postage-insufficient"]
    assert r.tariff.id == "tracked_packet_usa_small_business"
    assert any("small business price" in n and "17.95" in n for n in r.notes)
    # a shortfall no plan explains stays one
    short = check(dict(SB_LABEL, postage_paid="17.00"))
    assert [f.name for f in short.findings] == ["postage-insufficient"]
    assert short.postage.shortfall == Decimal("1.97") and short.tariff.id == "tracked_packet_usa"
    # naming the plan: counter prices are then required
    counter = check(SB_LABEL, plan="counter")
    assert counter.postage.shortfall == Decimal("1.02")
    assert check(SB_LABEL, plan="small_business").tariff.id == "tracked_packet_usa_small_business"
    from postcheck.errors import InvalidLabel

    with pytest.raises(InvalidLabel, match="plan"):
        check(SB_LABEL, plan="wholesale")


def test_batch_agrees_on_plans() -> None:
    """The batch engine's fast path leaves a label short of its plan's price to check(), which
    knows the other plans: the verdicts are check()'s."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    from postcheck import check
    from postcheck.batch import check_frame

    paid = ["17.95", "17.00", "18.97"]
    item = SB_LABEL["items"][0]
    frame = pd.DataFrame([{**{k: v for k, v in SB_LABEL.items() if k != "items"}, "postage_paid": p,
                           **{f"item1_{k}": str(v) for k, v in item.items()}} for p in paid])
    got = check_frame(frame)
    assert list(got["verdict"]) == [check(dict(SB_LABEL, postage_paid=p)).verdict for p in paid]
    assert list(got["shortfall"]) == ["0.00", "1.97", "0.00"]


def test_rates_diff_with_percentages() -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["rates", "diff", "tracked_packet_usa@2020-03-01", "tracked_packet_usa@2022-03-01"])
    assert r.exit_code == 0, r.output
    assert "tracked_packet_usa: 2020-01-13 -> 2021-09-13, CAD (6 of 6 prices changed, +0.60% to +6.14%)" in r.output
    assert "up to 0.5 kg  US  18.57 -> 18.97  +2.15%" in r.output
    plans = runner.invoke(cli, ["rates", "diff", "tracked_packet_usa@2022-03-01",
                                "tracked_packet_usa_small_business@2022-03-01", "--format", "json"])
    import json

    doc = json.loads(plans.output)
    half = next(p for p in doc[0]["prices"] if p["step"] == "up to 0.5 kg")
    assert half == {"step": "up to 0.5 kg", "zone": "US", "old": "18.97", "new": "17.95", "percent": "-5.38"}
    bad = runner.invoke(cli, ["rates", "diff", "tracked_packet_usa", "tracked_packet_usa@2022-03-01"])
    assert bad.exit_code == 2 and "ID@YYYY-MM-DD" in bad.output


def test_rates_chart_writes_svg(tmp_path: Path) -> None:
    out = tmp_path / "chart.svg"
    r = CliRunner().invoke(cli, ["rates", "chart", "tracked_packet_usa", "-o", str(out)])
    assert r.exit_code == 0, r.output
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for label in ("2020-01-13 (counter)", "2021-01-11 (small_business)", "2021-09-13 (counter)"):
        assert label in svg
    again = CliRunner().invoke(cli, ["rates", "chart", "tracked_packet_usa", "-o", str(out)])
    assert again.exit_code == 2  # never over an existing file without --force


USPS = GUIDES / "usps_notice123_2025-10-05.pdf"


def test_notice_123_reproduces_the_bundled_usps_tables() -> None:
    """The USPS tables bundled from the reference extracts, read again from the Notice itself:
    steps, zones, the 219-country price-group list (two names printed over two lines), the
    Oversized prices and the length and volume fees of the notes under the table."""
    r = import_guide(guide(USPS))
    assert not r.problems
    assert sorted(r.tariffs) == ["usps/fcpis_commercial/2025-10-05.toml", "usps/fcpis_retail/2025-10-05.toml",
                                 "usps/ground_advantage_commercial/2025-10-05.toml",
                                 "usps/ground_advantage_retail/2025-10-05.toml"]
    for rel, doc in r.tariffs.items():
        bundled = tomllib.loads((bundled_dir() / rel).read_text(encoding="utf-8"))
        for key in ("zones", "steps", "limits", "oversize", "volumetric", "surcharges", "weight", "currency",
                    "effective_from", "product", "plan"):
            assert doc.get(key) == bundled.get(key), (rel, key)
        assert doc["source"]["pages"] == bundled["source"]["pages"]
    fcpis = r.tariffs["usps/fcpis_retail/2025-10-05.toml"]
    assert len(fcpis["zones"]["countries"]) == 218  # 219 listed, Somalia not served (n/a)
    assert "SO" not in fcpis["zones"]["countries"]
    assert fcpis["zones"]["countries"]["GB"] == "20" and fcpis["zones"]["countries"]["KP"] == "4"
    assert fcpis["steps"][0]["prices"]["1"] == "17.85"  # p. 42: 1-8 oz, group 1
    ga = r.tariffs["usps/ground_advantage_commercial/2025-10-05.toml"]
    assert ga["oversize"]["prices"]["1"] == "98.25" and ga["source"]["pages"] == "15"


def test_length_fee_up_to_bound() -> None:
    """Notice 123 p. 7: over 22 in up to 30 in, $4.00; over 30 in, $8.40 (not both)."""
    from postcheck.units import parse_dimensions

    rates = Rates.load(env=False)
    t = rates.select("ground_advantage_retail", dt.date(2025, 11, 1)).tariff

    def total(dims: str) -> Decimal:
        return price_parcel(t, weight_g=parse_weight("1 lb"), destination="US", zone="1",
                            dims_mm=parse_dimensions(dims)).price.amount

    assert total("22 x 10 x 4 in") == Decimal("9.10")
    assert total("25 x 10 x 4 in") == Decimal("13.10")
    assert total("30 x 10 x 4 in") == Decimal("13.10")
    assert total("31 x 10 x 4 in") == Decimal("17.50")
