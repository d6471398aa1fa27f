"""Selection by date and the layering of bundled and user tariff folders."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from postcheck.errors import NoTariffInForce, TariffFileError, UnknownService
from postcheck.tariffs import Rates, price_parcel, quote
from postcheck.tariffs.catalog import ENV_VAR, STALE_AFTER_DAYS

D = dt.date


@pytest.mark.parametrize(("date", "table"), [
    (D(2024, 1, 1), "2024-01-01.toml"), (D(2024, 12, 31), "2024-01-01.toml"),
    (D(2025, 1, 1), "2025-01-01.toml"), (D(2025, 12, 31), "2025-01-01.toml"),
])
def test_selects_the_table_in_force(fixture_rates: Rates, date: dt.date, table: str) -> None:
    sel = fixture_rates.select("demo_parcel", date)
    assert Path(sel.tariff.path).name == table
    assert sel.date == date
    assert sel.warnings == ()


def test_prices_follow_the_table_in_force(fixture_rates: Rates) -> None:
    for date, expected in ((D(2024, 6, 1), "3.00"), (D(2025, 6, 1), "3.50")):
        t = fixture_rates.select("demo_parcel", date).tariff
        assert price_parcel(t, weight_g=Decimal(500), destination="DE").price.amount == Decimal(expected)


def test_before_the_first_table(fixture_rates: Rates) -> None:
    with pytest.raises(NoTariffInForce) as info:
        fixture_rates.select("demo_parcel", D(2023, 12, 31))
    e = info.value
    assert isinstance(e, LookupError)
    assert e.first == D(2024, 1, 1)
    assert "2024-01-01" in str(e) and "2023-12-31" in str(e)


def test_before_the_first_bundled_table(rates: Rates) -> None:
    with pytest.raises(NoTariffInForce, match="earliest table starts 2020-01-13"):
        rates.select("small_packet_usa_air", D(2020, 1, 12))
    assert rates.select("small_packet_usa_air", D(2020, 1, 13)).tariff.effective_from == D(2020, 1, 13)
    assert rates.select("small_packet_usa_air", D(2021, 9, 13)).tariff.effective_from == D(2021, 9, 13)


def test_editions_priced_by_ship_date(rates: Rates) -> None:
    """Each Canada Post edition is in force from its date until the next begins (or until the
    price year the guides show it ended in)."""
    spua = "small_packet_usa_air"
    assert rates.select(spua, D(2020, 3, 1)).tariff.effective_from == D(2020, 1, 13)
    assert rates.select(spua, D(2021, 1, 10)).tariff.effective_from == D(2020, 1, 13)
    assert rates.select(spua, D(2022, 3, 1)).tariff.effective_from == D(2021, 9, 13)
    sb = "tracked_packet_usa_small_business"
    assert rates.select(sb, D(2021, 3, 1)).tariff.effective_from == D(2021, 1, 11)
    assert rates.select(sb, D(2021, 9, 12)).tariff.effective_from == D(2021, 1, 11)
    assert rates.select(sb, D(2021, 9, 13)).tariff.effective_from == D(2021, 9, 13)
    with pytest.raises(NoTariffInForce, match="earliest table starts 2021-01-11"):
        rates.select(sb, D(2020, 6, 1))


def test_a_date_between_editions_is_an_error(rates: Rates) -> None:
    """The 2020 counter table ended when the 2021 prices began (2021-01-11); the guide of
    January 2021 is not at hand, so no table is in force until 2021-09-13."""
    with pytest.raises(NoTariffInForce) as info:
        rates.select("tracked_packet_usa", D(2021, 3, 1))
    assert info.value.last == D(2021, 1, 10) and info.value.next_from == D(2021, 9, 13)
    assert "ends 2021-01-10 and the next starts 2021-09-13" in str(info.value)


def test_after_effective_until(fixture_rates: Rates) -> None:
    with pytest.raises(NoTariffInForce) as info:
        fixture_rates.select("demo_parcel", D(2026, 1, 1))
    assert info.value.last == D(2025, 12, 31)
    assert "2025-12-31" in str(info.value)


def test_quote_reports_no_tariff_in_force_as_a_refusal(fixture_rates: Rates) -> None:
    priced, refused = quote(fixture_rates, origin="FR", destination="DE", weight_g=Decimal(100), date=D(2026, 1, 1))
    assert priced == []
    assert [(o.id, o.reason) for o in refused] == [("demo_parcel", "no-tariff-in-force")]


def test_long_after_the_newest_open_ended_table_prices_with_a_warning(rates: Rates) -> None:
    date = D(2021, 9, 13) + dt.timedelta(days=STALE_AFTER_DAYS + 1)
    sel = rates.select("small_packet_usa_air", date)
    assert sel.tariff.effective_from == D(2021, 9, 13)
    assert len(sel.warnings) == 1
    assert "2021-09-13" in sel.warnings[0] and date.isoformat() in sel.warnings[0]
    priced, _ = quote(rates, origin="CA", destination="US", weight_g=Decimal(520), date=D(2026, 11, 1))
    offer = {o.id: o for o in priced}["small_packet_usa_air"]
    assert offer.quote.price.amount == Decimal("18.82")
    assert any("2021-09-13" in w for w in offer.warnings)


def test_recent_table_has_no_warning(rates: Rates) -> None:
    assert rates.select("small_packet_usa_air", D(2022, 3, 1)).warnings == ()
    assert rates.select("fcpis_retail", D(2025, 11, 1)).warnings == ()


def test_undated_table_warns_undated(rates: Rates) -> None:
    for date in (D(2000, 1, 1), D(2025, 11, 1)):
        sel = rates.select("warenpost_international_kilo", date)
        assert sel.tariff.undated and sel.tariff.date_label == "undated"
        assert len(sel.warnings) == 1 and "undated" in sel.warnings[0]


def test_resolve_by_id_name_and_alias(rates: Rates) -> None:
    for name in ("small_packet_usa_air", "Small Packet USA Air", "small packet usa - air", "SMALL_PACKET_USA_AIR"):
        assert rates.resolve(name) == "small_packet_usa_air"
    with pytest.raises(UnknownService) as info:
        rates.resolve("Express Pigeon")
    assert isinstance(info.value, LookupError)
    assert "small_packet_usa_air" in info.value.known


def _user_table(src: Path, dst_root: Path, old_new: list[tuple[str, str]], name: str) -> Path:
    dst = dst_root / "canadapost" / "small_packet_usa_air" / name
    dst.parent.mkdir(parents=True, exist_ok=True)
    text = src.read_text(encoding="utf-8")
    for old, new in old_new:
        assert old in text
        text = text.replace(old, new)
    dst.write_text(text, encoding="utf-8")
    return dst


BUNDLED_SPUA = "rates/canadapost/small_packet_usa_air/2021-09-13.toml"  # bundled tables are shown by their place in rates/


NEWER = [("effective_from = 2021-09-13", "effective_from = 2023-01-01"),
         ('prices = { US = "18.82" }', 'prices = { US = "19.99" }'),
         ('price = "18.82"', 'price = "19.99"')]


def test_user_folder_with_a_newer_table_wins_on_its_dates(rates: Rates, bundled_rates_dir: Path,
                                                           tmp_path: Path) -> None:
    src = bundled_rates_dir / "canadapost" / "small_packet_usa_air" / "2021-09-13.toml"
    user = tmp_path / "my-rates"
    path = _user_table(src, user, NEWER, "2023-01-01.toml")
    layered = Rates.load([user], bundled=True, env=False)
    sel = layered.select("small_packet_usa_air", D(2023, 6, 1))
    assert sel.tariff.path == str(path)
    assert price_parcel(sel.tariff, weight_g=Decimal(520), destination="US").price.amount == Decimal("19.99")
    older = layered.select("small_packet_usa_air", D(2022, 3, 1))
    assert older.tariff.path == "rates/canadapost/small_packet_usa_air/2021-09-13.toml"  # bundled: shown by its place in rates/
    assert price_parcel(older.tariff, weight_g=Decimal(520), destination="US").price.amount == Decimal("18.82")
    assert layered.tables("small_packet_usa_air")[0].path == str(path)  # user layer first
    # the bundled rates on their own are unchanged
    assert rates.select("small_packet_usa_air", D(2023, 6, 1)).tariff.path == BUNDLED_SPUA


def test_user_folder_from_environment(bundled_rates_dir: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    src = bundled_rates_dir / "canadapost" / "small_packet_usa_air" / "2021-09-13.toml"
    path = _user_table(src, tmp_path / "env-rates", NEWER, "2023-01-01.toml")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env-rates"))
    assert Rates.load().select("small_packet_usa_air", D(2023, 6, 1)).tariff.path == str(path)
    assert Rates.load(env=False).select("small_packet_usa_air", D(2023, 6, 1)).tariff.path == BUNDLED_SPUA


def test_user_folder_with_one_bad_file_is_refused_whole(bundled_rates_dir: Path, tmp_path: Path) -> None:
    src = bundled_rates_dir / "canadapost" / "small_packet_usa_air" / "2021-09-13.toml"
    user = tmp_path / "my-rates"
    _user_table(src, user, NEWER, "2023-01-01.toml")  # a good file
    shutil.copytree(Path(__file__).parent.parent / "fixtures" / "rates", user / "fixtures")
    bad = user / "fixtures" / "demo" / "parcel_demo" / "2025-01-01.toml"
    bad.write_text(bad.read_text(encoding="utf-8").replace('currency = "EUR"', 'currency = 12'), encoding="utf-8")
    with pytest.raises(TariffFileError) as info:
        Rates.load([user], bundled=True, env=False)
    assert info.value.path == str(bad) and info.value.key == "currency"
    # the bundled tables keep working
    still = Rates.load(bundled=True, env=False)
    assert still.select("small_packet_usa_air", D(2023, 6, 1)).tariff.path == BUNDLED_SPUA


def test_missing_user_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TariffFileError, match="not a folder"):
        Rates.load([tmp_path / "nope"], env=False)
