"""The audit's checks over observation columns (evaluate.audit_columns) give what audit.value_conflicts and
audit.stale give over one dict per observation, message for message, on dates each rule path decides."""
from __future__ import annotations

from datetime import date

from mieruka.evaluate import audit, audit_columns
from mieruka.storage.queries import NO_LINE, STATUS_CODES

NAMES = {1: "a.txt", 2: "b.txt"}
DATES = {1: date(2020, 4, 1), 2: date(2021, 4, 1)}


def _kpis():
    # (id, value, unit, as_of, status, text, document, line)
    obs = {
        1: [(1, 300.0, "団体", "2019-03-31", "final", "300団体", 1, 4), (2, 310.0, "団体", "2019-03-31", "final", "310団体", 1, 4),
            (3, 300.0, "団体", "2019-03-31", "final", "300団体", 2, 7), (4, 305.0, "団体", "2019-03-31", "final", "305団体", 1, 4),
            (5, 400.0, "団体", "2020-03-31", "final", "400団体", 1, 4),  # one value on its date: no conflict
            (6, 5.0, "団体", "2021-03-31", "final", "5団体", 1, 4), (7, 5.0, "団体", "2021-03-31", "final", "5団体", 2, 7),
            (8, 9.0, "団体", "2021-03-31", "forecast", "9団体", 1, 4)],
        2: [(9, 1000.0, "団体", "2019-03-31", "final", "約1,000団体", 1, 5),  # 約: within 5 %
            (10, 1040.0, "団体", "2019-03-31", "final", "1,040団体", 2, 5), (11, 900.0, "団体", "2019-03-31", "final", "900団体", 2, 6)],
        3: [(12, 50.0, "%", "2019-03-31", "preliminary", "50%", 1, 8), (13, 51.0, "%", "2019-03-31", "final", "51%", 2, 8),
            (14, 0.0, "件", "2020-03-31", "final", "0件", 1, 9), (15, 3.0, "件", "2020-03-31", "final", "3件", 2, 9),
            (16, 3.0, "団体", "2020-03-31", "final", "3団体", None, None)],
        4: [(17, 70.0, None, "2018-03-31", "final", "70", 1, 2), (18, 72.0, None, "2018-03-31", "final", "72", 1, 3),
            (19, 80.0, None, None, "final", "80", 2, 3)],  # undated: as of its document's date (stale)
    }
    base = {3: [], 4: [{"value": 75.0, "unit": None, "as_of": date(2018, 3, 31), "text": "75", "as_of_precision": None,
                        "source": {"document": "b.txt", "document_id": 2, "line": 1}}]}
    apps = {1: [{"next_measurement": "2022年4月頃", "next_measurement_date": date(2022, 4, 30),
                 "source": {"document": "a.txt", "document_id": 1, "line": 3}}],
            4: [{"next_measurement": "2020年度末", "next_measurement_date": date(2021, 3, 31),
                 "source": {"document": "b.txt", "document_id": 2, "line": 1}}]}
    kpis, rows = [], []
    for kid, found in obs.items():
        dicts = []
        for oid, value, unit, when, status, text, doc, line in found:
            rows.append((oid, kid, value, unit, date.fromisoformat(when).toordinal() if when else 0,
                         STATUS_CODES[status], -1 if doc is None else doc, NO_LINE if line is None else line,
                         text if "約" in text else None, None))
            dicts.append({"value": value, "unit": unit, "as_of": date.fromisoformat(when) if when else None,
                          "status": status, "text": text, "as_of_precision": None,
                          "source": None if doc is None else {"document": NAMES[doc], "document_id": doc, "line": line}})
        kpis.append({"id": kid, "name": f"KPI {kid}", "observations": dicts, "baselines": base.get(kid, []),
                     "baseline": (base.get(kid) or [None])[0], "appearances": apps.get(kid, [])})
    by_id = {r[0]: d for k in kpis for r, d in zip([r for r in rows if r[1] == k["id"]], k["observations"])}
    return kpis, audit_columns.columns(rows, DATES, NAMES, lambda ids: {i: by_id[i] for i in ids})


def _plain(findings):
    return [(f.kind, f.kpi_id, f.message, f.message_en, f.sources) for f in findings]


def test_value_conflicts_over_columns_are_those_over_dicts():
    kpis, cols = _kpis()
    expected = _plain(audit.value_conflicts(kpis))
    assert _plain(audit_columns.value_conflicts(kpis, cols)) == expected
    # KPI 1 on 2019-03-31 and 2021-03-31 (the same 5団体 twice is none), KPI 2 (900 against 約1,000 and 1,040),
    # KPI 3 twice (a 速報値 and a 確報値 are none; 0件 against 3件), KPI 4 (its baseline 75 against 70 and 72)
    assert [(k, when) for _, k, when, *_ in [(f[0], f[1], f[2][:10]) for f in expected]] == [
        (1, "2019-03-31"), (2, "2019-03-31"), (3, "2020-03-31"), (4, "2018-03-31")]
    # the values printed at the same places are written together, each place once
    assert expected[0][2] == "2019-03-31時点の値が資料によって異なる: 300団体（a.txt 4行・b.txt 7行）、310団体・305団体（a.txt 4行）"
    assert expected[0][3] == ("the value at 2019-03-31 differs between documents: 300 bodies (a.txt line 4, b.txt line 7); "
                              "310 bodies, 305 bodies (a.txt line 4)")


def test_a_line_printing_every_body_s_value_is_named_once():
    # a national KPI: one line prints the values of the bodies it counts, some of them equal, for one date
    values = [255.0, 310.0, 255.0, 294.0, 310.0, 301.0]
    rows = [(i + 1, 1, v, "団体", date(2015, 3, 31).toordinal(), STATUS_CODES["final"], 1, 4, None, None)
            for i, v in enumerate(values)]
    dicts = [{"value": v, "unit": "団体", "as_of": date(2015, 3, 31), "status": "final", "text": f"{v:g}団体",
              "as_of_precision": None, "source": {"document": "a.txt", "document_id": 1, "line": 4}} for v in values]
    kpis = [{"id": 1, "name": "KPI 1", "observations": dicts, "baselines": [], "baseline": None, "appearances": []}]
    cols = audit_columns.columns(rows, DATES, NAMES, lambda ids: {i: dicts[i - 1] for i in ids})
    expected = _plain(audit.value_conflicts(kpis))
    assert _plain(audit_columns.value_conflicts(kpis, cols)) == expected
    # one line, so not "between documents"
    assert [f[2] for f in expected] == [
        "2015-03-31時点の値が同じ箇所に複数書かれている: 255団体・310団体・294団体・301団体（a.txt 4行）"]
    assert [f[3] for f in expected] == [
        "several values are given for 2015-03-31 at one place: 255 bodies, 310 bodies, 294 bodies, 301 bodies "
        "(a.txt line 4)"]
    assert [f[4] for f in expected] == [[{"document": "a.txt", "line": 4}]]


def test_stale_over_columns_is_stale_over_dicts():
    kpis, cols = _kpis()
    for as_of in (date(2021, 1, 1), date(2022, 6, 1), date(2030, 1, 1)):
        expected = _plain(audit.stale(kpis, DATES, as_of))
        assert _plain(audit_columns.stale(kpis, cols, DATES, as_of)) == expected
    found = _plain(audit.stale(kpis, DATES, date(2022, 6, 1)))
    assert [f[1] for f in found] == [1, 4]
    # KPI 4's latest actual is printed without a date: its document's date stands in, and the message says so
    assert "日付の記載なし、資料の日付2021-04-01で扱う" in found[1][2]


def test_values_that_print_alike_are_written_with_the_digits_that_tell_them_apart():
    # 1,000.4 and 1,000.3 bodies both print as 「1,000団体」 where a value is shown: the conflict between them names each
    # with its digits (both paths: the arrays' shortcut decides this date); money as the documents write it, then whole,
    # each language by its own form (12.34億円 and 12.31億円 are both "¥1.23 billion"; 1.23兆円 both sides of a yen)
    day = date(2019, 3, 31)

    def kpi_of(kid, found):
        rows = [(oid, kid, v, unit, day.toordinal(), STATUS_CODES["final"], doc, line, text if "約" in text else None,
                 None)
                for oid, v, unit, text, doc, line in found]
        dicts = [{"value": v, "unit": unit, "as_of": day, "status": "final", "text": text, "as_of_precision": None,
                  "source": {"document": NAMES[doc], "document_id": doc, "line": line}} for _, v, unit, text, doc, line in found]
        return rows, dicts

    found = {1: [(1, 1000.4, "団体", "1,000.4団体", 1, 4), (2, 1000.3, "団体", "1,000.3団体", 2, 7)],
             2: [(3, 123456789.0, "円", "1億2,345万6,789円", 1, 5), (4, 123000000.0, "円", "1.23億円", 2, 5)],
             3: [(5, 1000.0, "団体", "約1,000団体", 1, 6), (6, 1100.0, "団体", "1,100団体", 2, 6)],
             4: [(7, 1234000000.0, "円", "12.34億円", 1, 7), (8, 1231000000.0, "円", "12.31億円", 2, 7)],
             5: [(9, 1230000001000.0, "円", "1兆2,300億0,100万円", 1, 8), (10, 1229999999000.0, "円", "", 2, 8)]}
    rows, kpis, by_id = [], [], {}
    for kid, f in found.items():
        r, d = kpi_of(kid, f)
        rows += r
        by_id.update({x[0]: y for x, y in zip(r, d)})
        kpis.append({"id": kid, "name": f"KPI {kid}", "observations": d, "baselines": [], "baseline": None,
                     "appearances": []})
    cols = audit_columns.columns(rows, DATES, NAMES, lambda ids: {i: by_id[i] for i in ids})
    expected = _plain(audit.value_conflicts(kpis))
    assert _plain(audit_columns.value_conflicts(kpis, cols)) == expected
    assert [f[2] for f in expected] == [
        "2019-03-31時点の値が資料によって異なる: 1,000.4団体（a.txt 4行）、1,000.3団体（b.txt 7行）",
        "2019-03-31時点の値が資料によって異なる: 1.23億円（123,456,789円）（a.txt 5行）、1.23億円（b.txt 5行）",
        "2019-03-31時点の値が資料によって異なる: 1,000団体（a.txt 6行）、1,100団体（b.txt 6行）",
        "2019-03-31時点の値が資料によって異なる: 12.34億円（a.txt 7行）、12.31億円（b.txt 7行）",
        "2019-03-31時点の値が資料によって異なる: 1.23兆円（1,230,000,001,000円）（a.txt 8行）、"
        "1.23兆円（1,229,999,999,000円）（b.txt 8行）"]
    assert [f[3] for f in expected] == [
        "the value at 2019-03-31 differs between documents: 1,000.4 bodies (a.txt line 4); 1,000.3 bodies (b.txt line 7)",
        "the value at 2019-03-31 differs between documents: ¥123.46 million (¥123,456,789) (a.txt line 5); "
        "¥123 million (b.txt line 5)",
        "the value at 2019-03-31 differs between documents: 1,000 bodies (a.txt line 6); 1,100 bodies (b.txt line 6)",
        "the value at 2019-03-31 differs between documents: ¥1.23 billion (¥1,234,000,000) (a.txt line 7); "
        "¥1.23 billion (¥1,231,000,000) (b.txt line 7)",
        "the value at 2019-03-31 differs between documents: ¥1.23 trillion (¥1,230,000,001,000) (a.txt line 8); "
        "¥1.23 trillion (¥1,229,999,999,000) (b.txt line 8)"]


def test_a_value_is_approximate_when_its_own_figure_is_written_so_in_both_paths(db_url):
    """A value is given as approximate when its own figure in the cell is (約, 概ね, 最大約 before it, 程度 after it, as the
    reader reads the cell): 「430団体、約7,693万人」 gives 430団体 exactly, and the 約 of 集約化, 契約 and 条約 is none. The 約
    anywhere in the cell gave every value there a 5 % leeway, so that 430 against 440 bodies was no conflict. The
    database gives the texts with 約 (GLOB on SQLite, a regular expression on PostgreSQL) for the columns' path to read
    as the dicts' path does."""
    from mieruka import storage
    from mieruka.storage import models as m
    from mieruka.storage.queries import audit_observation_columns

    cells = [(1000.0, "約1,000団体"), (60.0, "約６割"), (430.0, "430団体、約7,693万人(2017年8月31日時点)"),
             (76930000.0, "430団体、約7,693万人(2017年8月31日時点)"), (1000.0, "集約化1,000団体"),
             (120.0, "契約件数120件"), (50.0, "最大約5割"), (1000.0, "1,000団体程度"), (7.0, "条約"), (3.0, "約3団体、5団体"),
             (5.0, "約3団体、5団体"), (100.0, "約百団体")]
    storage.ensure_schema(db_url)
    with storage.session_scope(db_url, write=True) as s:
        s.add_all([m.Kpi(id=1, key="k1", name="KPI 1"),
                   m.Document(id=1, file_name="a.txt", family="reform-schedule", sha256="0" * 64, raw=b"")])
        s.flush()
        s.add_all([m.Observation(kpi_id=1, document_id=1, value=v, text=t) for v, t in cells])
    with storage.session_scope(db_url) as s:
        read = sorted(audit_observation_columns(s, [1]))
    # (約百: a figure in kanji the reader does not take; 約 before it marks it)
    expected = [True, True, False, True, False, False, True, False, False, True, False, True]
    assert [audit.approximate_figure(v, t) for v, t in cells] == expected
    cols = audit_columns.columns(read, DATES, NAMES, lambda ids: {})
    assert cols.approx.tolist() == expected  # the columns' path, from the texts the database gave
    assert [r[8] is not None for r in read] == ["約" in t for _, t in cells]

    def kpi(k, value, text):
        return {"id": k, "name": f"KPI {k}", "baselines": [], "baseline": None, "appearances": [], "observations": [
            {"value": value, "unit": "団体", "as_of": date(2019, 3, 31), "status": "final", "text": text,
             "source": {"document": "a.txt", "line": 1}},
            {"value": value * 1.023, "unit": "団体", "as_of": date(2019, 3, 31), "status": "final", "text": "",
             "source": {"document": "b.txt", "line": 2}}]}
    kpis = [kpi(1, 430.0, "430団体、約7,693万人"), kpi(2, 1000.0, "集約化1,000団体"), kpi(3, 1000.0, "約1,000団体")]
    assert [f.kpi_id for f in audit.value_conflicts(kpis)] == [1, 2]  # 2.3 % apart: a conflict unless approximate
