"""Resolve the country names of the USPS Notice 123 price-group extract to ISO 3166-1 alpha-2.

One-off helper (needs `pycountry`; e.g. /tmp/venv/bin/python tools/resolve_usps_countries.py).
It writes src/postcheck/data/usps_country_iso2.csv, which tools/make_rates.py and the Notice 123
importer (postcheck rates import) read.

Names pycountry cannot resolve by exact lookup are taken from MANUAL below; every such name is
printed. The script fails if a name is resolved by neither.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pycountry

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "reference"
SOURCE = REFERENCE / "usps_country_price_groups_2025-10-05.csv"
OUT = REPO / "src" / "postcheck" / "data" / "usps_country_iso2.csv"

# Names as printed in Notice 123 that pycountry.countries.lookup() does not resolve.
MANUAL = {
    # AC and TA are ISO 3166-1 "exceptionally reserved" codes (parts of SH); Canada Post's
    # rate-code table uses them too.
    "Ascension": "AC",
    "Tristan da Cunha": "TA",
    "Saint Helena": "SH",
    "Bonaire, Sint Eustatius, and Saba": "BQ",
    "Bosnia-Herzegovina": "BA",
    "Burma": "MM",
    "Cape Verde": "CV",
    "Congo, Democratic Republic of the": "CD",
    "Congo, Republic of the": "CG",
    "Cote d'Ivoire": "CI",
    "Curacao": "CW",
    "Falkland Islands": "FK",
    "Georgia, Republic of": "GE",
    "Korea, Democratic Peoples Republic of (North Korea)": "KP",
    "Korea, Republic of (South Korea)": "KR",
    # Kosovo has no ISO 3166-1 code; XK is the user-assigned code in common use.
    "Kosovo, Republic of": "XK",
    "North Macedonia, Republic of": "MK",
    "Pitcairn Island": "PN",
    "Reunion": "RE",
    "Russia": "RU",
    "Saint (St.) Kitts and Nevis": "KN",
    "Serbia, Republic of": "RS",
    "Sint Maarten (Dutch)": "SX",
    "Slovak Republic (Slovakia)": "SK",
    "South Sudan, Republic of": "SS",
    "Syrian Arab Republic (Syria)": "SY",
    "Timor-Leste, Democratic Republic of": "TL",
    "Turkiye, Republic of": "TR",
    "Vatican City": "VA",
    "Wallis and Futuna Islands": "WF",
}


def main() -> int:
    rows = []
    unresolved = []
    with SOURCE.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row["country"]
            try:
                code, how = pycountry.countries.lookup(name).alpha_2, "pycountry"
            except LookupError:
                print(f"not resolved by pycountry: {name!r}", end="")
                if name in MANUAL:
                    code, how = MANUAL[name], "manual"
                    print(f" -> {code} (manual table)")
                else:
                    print(" -> UNRESOLVED")
                    unresolved.append(name)
                    continue
            rows.append((name, code, how))
    if unresolved:
        print(f"{len(unresolved)} names unresolved", file=sys.stderr)
        return 1
    codes = [c for _, c, _ in rows]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        print(f"duplicate codes: {dupes}", file=sys.stderr)
        return 1
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["country", "iso2", "resolved_by"])
        w.writerows(rows)
    print(f"wrote {OUT.relative_to(REPO)} ({len(rows)} names)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
