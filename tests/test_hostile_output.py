"""Hostile values on the way out: control characters (BEL, ESC) and rich markup ([/]) in names a document or a
survey gave us reach every CLI table and message shown, never obeyed, and every XLSX writer without failing."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from mieruka.cli import load_commands

FIXTURES = Path(__file__).parent / "fixtures"
# What a reform-schedule table can carry in its KPI column: a bell, an ANSI colour escape and rich markup.
HOSTILE_NAME = "総合\x07窓口\x1b[31mの導入[/]"
SHOWN_NAME = "総合␇窓口␛[31mの導入[/]"


def hostile_schedule(tmp_path: Path) -> Path:
    text = (FIXTURES / "reform_schedule" / "tabbed.txt").read_text(encoding="utf-8")
    path = tmp_path / "hostile.txt"
    path.write_text(text.replace("総合窓口の導入", HOSTILE_NAME, 1), encoding="utf-8")
    return path


def cli(*args: str):
    return CliRunner().invoke(load_commands(), [str(a) for a in args])


@pytest.fixture
def hostile_db(tmp_path):
    db = f"sqlite:///{tmp_path / 'h.db'}"
    loaded = cli("ingest", hostile_schedule(tmp_path), "--db", db, "--format", "csv")
    assert loaded.exit_code == 0, loaded.output
    return db


def test_the_kpi_table_shows_control_characters_as_pictures_and_markup_as_written(hostile_db):
    result = cli("kpis", "--db", hostile_db)
    assert result.exit_code == 0, result.output
    assert "\x07" not in result.stdout and "\x1b" not in result.stdout
    row = next(line for line in result.stdout.splitlines() if "│ 3 " in line)
    assert f"│ {SHOWN_NAME} " in row


def test_json_and_csv_keep_the_name_exactly_as_the_document_wrote_it(hostile_db):
    import json

    listed = json.loads(cli("kpis", "--db", hostile_db, "--format", "json").stdout)
    assert [k["name"] for k in listed if k["id"] == 3] == [HOSTILE_NAME]


def test_export_xlsx_writes_control_characters_as_pictures(hostile_db, tmp_path):
    out = tmp_path / "all.xlsx"
    result = cli("export", out, "--db", hostile_db, "--as-of", "2018-03-31")
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out, read_only=True)["KPI一覧"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    names = {r[header.index("id")]: r[header.index("name")] for r in rows[1:]}
    assert names[3] == SHOWN_NAME


def test_export_csv_keeps_the_exact_name(hostile_db, tmp_path):
    out = tmp_path / "csv"
    result = cli("export", out, "--db", hostile_db, "--as-of", "2018-03-31")
    assert result.exit_code == 0, result.output
    text = (out / "kpis.csv").read_text(encoding="utf-8-sig")
    assert f"\n3,{HOSTILE_NAME},1," in text


def test_the_web_xlsx_download_of_the_kpi_list_opens(hostile_db):
    from mieruka.web import create_app

    response = TestClient(create_app(hostile_db)).get("/kpis.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows(values_only=True))
    assert SHOWN_NAME in [cell for row in rows for cell in row]


def test_markup_in_a_survey_names_is_printed_as_written_after_the_import_is_kept(tmp_path):
    db = f"sqlite:///{tmp_path / 's.db'}"
    survey = tmp_path / "s.csv"
    survey.write_text("団体コード,市区町村名,導入\n011002,札幌市,○\n,[/]市,○\n,[bold]x,×\n", encoding="utf-8")
    result = cli("survey", "import", survey, "--initiative", "窓口", "--as-of", "2017-04-01", "--db", db,
                 "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "skipped line 3: [/]市 is neither a prefecture nor one of the 1,741 municipalities\n"
        "skipped line 4: [bold]x is neither a prefecture nor one of the 1,741 municipalities\n")
    listed = cli("survey", "list", "--db", db, "--format", "csv")
    assert listed.stdout.splitlines()[1].split(",")[-2:] == ["1", "2"]  # responses 1, rejected 2


def test_an_error_naming_a_file_with_markup_and_controls_is_printed_as_written(tmp_path):
    missing = tmp_path / "[/]x\x1b[2J.csv"
    result = cli("survey", "import", missing, "--initiative", "窓口", "--as-of", "2017-04-01",
                 "--db", f"sqlite:///{tmp_path / 's.db'}")
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path}/[/]x␛[2J.csv: no such file\n"


def test_the_kpi_table_lists_computed_ratings_by_scheme_after_evaluate(hostile_db):
    rated = cli("evaluate", "--scheme", "municipal-sabc", "--as-of", "2018-03-31", "--db", hostile_db,
                "--format", "json")
    assert rated.exit_code == 0, rated.output
    result = cli("kpis", "--db", hostile_db)
    assert result.exit_code == 0, result.output
    rows = []  # a cell the table wraps goes on under an empty id
    for line in result.stdout.splitlines():
        if line.startswith("│ "):
            cells = [c.strip() for c in line.split("│")[1:-1]]
            if cells[0] or not rows:
                rows.append(cells)
            else:
                rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells)]
    ratings = {row[0]: row[6] for row in rows}
    assert ratings["2"] == "公表B(hos:10) 再計算A[municipal-sabc]"
    assert ratings["3"] == "公表B(hos:11) 再計算－[municipal-sabc]"


def test_the_survey_template_names_an_initiative_with_control_characters(tmp_path):
    out = tmp_path / "template.xlsx"
    result = cli("survey", "template", out, "--initiative", "窓口\x07委託[/]")
    assert result.exit_code == 0, result.output
    notes = load_workbook(out)["記入方法"]
    assert notes["A1"].value == "「窓口␇委託[/]」の導入状況調査票"


# A usage error quotes what was typed. Each case: argv after `mieruka`, and the words the message must show.
TYPED = "x\x1b[31mred\x07[/]"
USAGE_ERRORS = [
    ([TYPED], "No such command"),
    (["kpis", TYPED], "unexpected extra argument"),
    (["kpis", "--format", TYPED], "--format"),
    (["kpis", "--f" + TYPED], "No such option"),
    (["survey", TYPED], "No such command"),
    (["serve", "--port", TYPED], "--port"),  # not quoted back: "Input should be a valid integer"
]


def _run_on_a_terminal(args: list[str]) -> tuple[int, bytes]:
    """The real command on a pseudo-terminal (where rich writes colour and a raw ESC would be obeyed)."""
    import os
    import pty
    import sys

    import mieruka

    src = str(Path(mieruka.__file__).resolve().parents[1])
    pid, fd = pty.fork()
    if pid == 0:  # the child: nothing of pytest's may run here
        os.environ["PYTHONPATH"] = src
        os.execv(sys.executable, [sys.executable, "-m", "mieruka", *args])
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out


@pytest.mark.parametrize("args,words", USAGE_ERRORS, ids=[" ".join(a).encode("unicode_escape").decode()
                                                          for a, _ in USAGE_ERRORS])
def test_a_usage_error_shows_the_control_characters_typed_never_sends_them(args, words):
    import re
    import subprocess
    import sys

    import mieruka

    src = str(Path(mieruka.__file__).resolve().parents[1])
    piped = subprocess.run([sys.executable, "-m", "mieruka", *args], capture_output=True,
                           env={**__import__("os").environ, "PYTHONPATH": src})
    code, tty = _run_on_a_terminal(args)
    for exit_code, out in ((piped.returncode, piped.stdout + piped.stderr), (code, tty)):
        assert exit_code == 2
        # rich's own colours are ESC sequences too: what must not be there is the user's ESC [31m and BEL
        assert b"\x1b[31mred" not in out and b"\x07" not in out
        text = re.sub(r"\x1b\[[0-9;]*m", "", out.decode())  # rich's styling taken off, to read the words
        assert words in text and "Traceback" not in text
        if args[0] != "serve":  # the others quote what was typed
            assert re.search(r"x(\\x1b|␛)\[31mred(\\x07|␇)\[/\]", text), text
