"""Rebuild mieruka's local-body list (src/mieruka/bodies/data/local_bodies.csv) from 総務省's
「全国地方公共団体コード」 spreadsheet, and print which bodies were added, removed or renamed.

    python scripts/update_local_bodies.py 000730858.xlsx --valid-from 2024-01-01 [--dry-run]

The spreadsheet is the one published at https://www.soumu.go.jp/denshijiti/code.html: a sheet with the
columns 団体コード, 都道府県名（漢字）, 市区町村名（漢字）, 都道府県名（カナ）, 市区町村名（カナ） (kana in
half-width katakana), and a second sheet of the designated cities' wards, which are not local bodies and are
not read. The sidecar local_bodies.toml records the source, the date the list is valid from and the licence.
Nothing is written when the spreadsheet cannot be read; the message names the file, the sheet and the row.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import sys
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "src" / "mieruka" / "bodies" / "data"
COLUMNS = ("code", "prefecture", "name", "kana", "kind", "designated_city")
SOURCE_PAGE = "https://www.soumu.go.jp/denshijiti/code.html"

PREFECTURE, CITY, TOWN, VILLAGE, SPECIAL_WARD = "都道府県", "市", "町", "村", "特別区"
_TOKYO = "13"
_CHECK_WEIGHTS = (6, 5, 4, 3, 2)

# The headers as MIC writes them, compared after NFKC and without spaces or line breaks
# ("都道府県名\n（漢字）" matches).
HEADERS = {
    "code": "団体コード",
    "prefecture": "都道府県名(漢字)",
    "name": "市区町村名(漢字)",
    "prefecture_kana": "都道府県名(カナ)",
    "name_kana": "市区町村名(カナ)",
}
_HEADER_ROWS = 10
# MIC's second sheet ("R6.1.1政令指定都市") lists the designated cities with their wards, which are not local bodies.
_WARDS_SHEET = "政令指定都市"

LICENCE = (
    "総務省ウェブサイトのコンテンツ利用ルール（政府標準利用規約（第2.0版）に準拠。"
    "クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0）と互換）。"
    "同規約は数値データ・簡単な表を著作権の対象外としており、コードと名称の一覧はこれに当たるが、出典は記載する"
)


_NOTE = ("rebuilt by scripts/update_local_bodies.py: kana widened from half-width with NFKC; kind from the code and "
         "the name; designated_city from the code (municipal numbers 100–199 outside Tokyo)")


class SpreadsheetError(ValueError):
    """The spreadsheet is not a list of local-body codes in MIC's shape."""


@dataclass(frozen=True)
class Body:
    code: str  # 6 digits, check digit included
    prefecture: str
    name: str  # a prefecture's own name for a prefecture
    kana: str  # full-width katakana
    kind: str
    designated_city: bool

    def row(self) -> list[str]:
        return [self.code, self.prefecture, self.name, self.kana, self.kind, "1" if self.designated_city else "0"]


def check_digit(code5: str) -> int:
    weighted = sum(int(digit) * weight for digit, weight in zip(code5, _CHECK_WEIGHTS))
    return (11 - weighted % 11) % 10


def kind_of(code: str, prefecture: str, name: str) -> str:
    """都道府県 for a prefecture's own row, 特別区 for Tokyo's 23 wards, else the last character (市/町/村)."""
    if code[2:5] == "000":
        return PREFECTURE
    if code[:2] == _TOKYO and name.endswith("区"):
        return SPECIAL_WARD
    if name[-1:] in (CITY, TOWN, VILLAGE):
        return name[-1]
    raise ValueError(f"{prefecture}{name} ({code}) is neither a prefecture, a city, a town, a village nor a ward of Tokyo")


def is_designated_city(code: str, kind: str) -> bool:
    # JIS X 0402 gives the 政令指定都市 (and their wards) the municipal numbers 100–199; Tokyo uses
    # the same range for its special wards, and its cities start at 201 as everywhere else.
    return kind == CITY and code[2] == "1" and code[:2] != _TOKYO


def full_width_kana(text: str) -> str:
    # MIC writes half-width katakana (ｻｯﾎﾟﾛｼ); NFKC widens it and joins the voicing marks.
    return unicodedata.normalize("NFKC", text).strip()


def _header_key(value) -> str:
    return "".join(unicodedata.normalize("NFKC", str(value or "")).split())


def read_spreadsheet(path: Path) -> list[Body]:
    """The bodies on the first sheet that has MIC's five columns, in code order."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise SpreadsheetError(f"{path}: no such file") from None
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        raise SpreadsheetError(f"{path}: not an .xlsx workbook ({error})") from None
    try:
        for sheet in workbook.worksheets:
            if _WARDS_SHEET in sheet.title:
                continue
            rows = sheet.iter_rows(values_only=True)
            for header_row, cells in enumerate(rows, start=1):
                if header_row > _HEADER_ROWS:
                    break
                keys = [_header_key(cell) for cell in cells]
                if all(header in keys for header in HEADERS.values()):
                    columns = {field: keys.index(header) for field, header in HEADERS.items()}
                    return _bodies(path, sheet.title, rows, header_row, columns)
    finally:
        workbook.close()
    wanted = ", ".join(HEADERS.values())
    raise SpreadsheetError(f"{path}: no sheet has the columns {wanted} in its first {_HEADER_ROWS} rows")


def _bodies(path: Path, sheet: str, rows, header_row: int, columns: dict[str, int]) -> list[Body]:
    bodies: dict[str, Body] = {}
    for row_number, cells in enumerate(rows, start=header_row + 1):
        cell = {field: _text(cells[i] if i < len(cells) else None) for field, i in columns.items()}
        if not any(cell.values()):
            continue
        where = f"{path}, sheet {sheet!r}, row {row_number}"
        code = cell["code"]
        if not (code.isascii() and code.isdigit() and len(code) in (5, 6)):
            raise SpreadsheetError(f"{where}: 団体コード {code!r} is not a 6-digit code")
        code = code.zfill(6)  # Excel drops the leading zero of 北海道's and 青森県's codes
        if int(code[5]) != check_digit(code[:5]):
            raise SpreadsheetError(f"{where}: 団体コード {code} has the wrong check digit (expected {check_digit(code[:5])})")
        if code in bodies:
            raise SpreadsheetError(f"{where}: 団体コード {code} appears twice")
        prefecture = cell["prefecture"]
        is_prefecture = code[2:5] == "000"
        name = prefecture if is_prefecture else cell["name"]
        kana = full_width_kana(cell["prefecture_kana"] if is_prefecture else cell["name_kana"])
        if not prefecture or not name or not kana:
            raise SpreadsheetError(f"{where}: 団体コード {code} has no name or no kana")
        try:
            kind = kind_of(code, prefecture, name)
        except ValueError as error:
            raise SpreadsheetError(f"{where}: {error}") from None
        bodies[code] = Body(code, prefecture, name, kana, kind, is_designated_city(code, kind))
    if not bodies:
        raise SpreadsheetError(f"{path}, sheet {sheet!r}: no body listed under the header in row {header_row}")
    return [bodies[code] for code in sorted(bodies)]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_csv(path: Path) -> list[Body]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        next(reader)
        return [Body(code, prefecture, name, kana, kind, designated == "1")
                for code, prefecture, name, kana, kind, designated in reader]


def csv_text(bodies: list[Body]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(body.row() for body in bodies)
    return out.getvalue()


def sidecar_text(valid_from: dt.date, edition: str, note: str) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "\n".join([
        "# Where local_bodies.csv comes from; scripts/update_local_bodies.py rewrites this file with the list.",
        f"source = {quoted('総務省「全国地方公共団体コード」')}",
        f"source_url = {quoted(SOURCE_PAGE)}",
        f"edition = {quoted(edition)}",
        f"valid_from = {valid_from.isoformat()}",
        f"note = {quoted(note)}",
        f"licence = {quoted(LICENCE)}",
        f"attribution = {quoted('出典：総務省「全国地方公共団体コード」（' + SOURCE_PAGE + '）を加工して作成')}",
        "",
    ])


@dataclass(frozen=True)
class Changes:
    added: list[Body]
    removed: list[Body]
    renamed: list[tuple[Body, Body]]  # the prefecture or the name changed
    amended: list[tuple[Body, Body]]  # same name, other kana, kind or designation

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.renamed or self.amended)

    def report(self) -> str:
        lines = [f"added {len(self.added)}, removed {len(self.removed)}, renamed {len(self.renamed)}, "
                 f"other changes {len(self.amended)}"]
        lines += [f"+ {b.code} {_full_name(b)} ({b.kana}, {b.kind})" for b in self.added]
        lines += [f"- {b.code} {_full_name(b)} ({b.kana}, {b.kind})" for b in self.removed]
        lines += [f"~ {old.code} {_full_name(old)} → {_full_name(new)} ({old.kana} → {new.kana})" for old, new in self.renamed]
        for old, new in self.amended:
            what = [f"{field} {getattr(old, field)} → {getattr(new, field)}"
                    for field in ("kana", "kind", "designated_city") if getattr(old, field) != getattr(new, field)]
            lines.append(f"~ {old.code} {_full_name(old)}: {', '.join(what)}")
        return "\n".join(lines)


def _full_name(body: Body) -> str:
    return body.name if body.kind == PREFECTURE else body.prefecture + body.name


def compare(old: list[Body], new: list[Body]) -> Changes:
    before, after = {b.code: b for b in old}, {b.code: b for b in new}
    common = [code for code in after if code in before]
    return Changes(
        added=[after[code] for code in after if code not in before],
        removed=[before[code] for code in before if code not in after],
        renamed=[(before[c], after[c]) for c in common
                 if (before[c].prefecture, before[c].name) != (after[c].prefecture, after[c].name)],
        amended=[(before[c], after[c]) for c in common
                 if (before[c].prefecture, before[c].name) == (after[c].prefecture, after[c].name) and before[c] != after[c]],
    )


def _write(path: Path, text: str) -> None:
    # Written beside the target and renamed over it, so a failure leaves the old file whole.
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def update(spreadsheet: Path, valid_from: dt.date, data_dir: Path = DATA_DIR, *, dry_run: bool = False) -> Changes:
    """Read the spreadsheet, compare it with the current list and (unless dry_run) write the list and its sidecar."""
    new = read_spreadsheet(spreadsheet)
    changes = compare(read_csv(data_dir / "local_bodies.csv"), new)
    if not dry_run:
        _write(data_dir / "local_bodies.csv", csv_text(new))
        _write(data_dir / "local_bodies.toml",
               sidecar_text(valid_from, spreadsheet.name, _NOTE))
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spreadsheet", type=Path, help="MIC's 全国地方公共団体コード workbook (.xlsx)")
    parser.add_argument("--valid-from", required=True, type=dt.date.fromisoformat,
                        help="the date the list is valid from, as MIC's title gives it (e.g. 2024-01-01 for R6.1.1現在)")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="where local_bodies.csv lives")
    parser.add_argument("--dry-run", action="store_true", help="report the changes, write nothing")
    args = parser.parse_args(argv)
    try:
        changes = update(args.spreadsheet, args.valid_from, args.data_dir, dry_run=args.dry_run)
    except SpreadsheetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(changes.report() if changes else "no body added, removed or changed")
    if not args.dry_run:
        print(f"wrote {args.data_dir / 'local_bodies.csv'} (valid from {args.valid_from.isoformat()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
