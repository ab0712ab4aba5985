"""What each download column is called on a Japanese page and what it holds (the 「列の説明」 sheet of every XLSX),
and where the data comes from. Keys are the English names the JSON API and English pages keep."""
from __future__ import annotations

import time

from mieruka.evaluate import schemes

# key: (Japanese header, description in Japanese, description in English)
COLUMNS: dict[str, tuple[str, str, str]] = {
    "id": ("ID", "mierukaの中での番号（ページのURLにも使う）", "mieruka's number for the row (used in page URLs)"),
    "name": ("名称", "文書に書かれた名称", "the name as the documents give it"),
    "tier": ("階層", "KPIの階層（1: 第一階層、2: 第二階層）", "KPI tier (1: first tier, 2: second tier)"),
    "reform_item_number": ("改革項目番号", "改革項目の丸数字の番号", "the reform item's circled number"),
    "reform_item": ("改革項目", "KPIが属する改革項目", "the reform item the KPI belongs to"),
    "ministry": ("府省庁", "担当府省庁（文書に記載がなければ改革項目の主担当府省庁等から推定）",
                 "the ministry in charge (inferred from the reform item's lead ministry when no document names it)"),
    "ministry_inferred": ("府省庁は推定", "府省庁を改革項目の主担当府省庁等から推定したか", "whether the ministry is inferred from the reform item's lead"),
    "evaluation_date": ("評価日", "評価がこの日時点のものであること", "the date the ratings are as of"),
    "rating_basis": ("評価の根拠", "評価が公表評価か再計算か", "whether the rating is the published or the computed one"),
    "unit": ("単位", "値の単位", "unit of the values"),
    "baseline_value": ("基準値", "基準となる値", "baseline value"),
    "baseline_as_of": ("基準値の時点", "基準値の時点", "when the baseline was measured"),
    "baseline_as_of_precision": ("基準値の時点の精度", "文書が基準値の時点を示した細かさ（日・月・年度・年）。年度の値は年度末の日付で保存",
                                 "how precisely the document gave the baseline's date (day, month, fiscal_year, year); a fiscal year's value is stored at its 31 March"),
    "latest_value": ("最新値", "最新の実績値", "latest actual value"),
    "latest_as_of": ("最新値の時点", "最新値の時点", "when the latest value was measured"),
    "latest_as_of_precision": ("最新値の時点の精度", "文書が最新値の時点を示した細かさ（日・月・年度・年）。年度の値は年度末の日付で保存",
                               "how precisely the document gave the latest value's date (day, month, fiscal_year, year)"),
    "latest_status": ("最新値の種別", "速報値・確報値・見込みの別", "preliminary, final or estimate"),
    "target_value": ("目標値", "目標の値", "target value"),
    "target_deadline": ("目標年限", "目標の期限", "target deadline"),
    "target_deadline_precision": ("目標年限の精度", "文書が目標の期限を示した細かさ（日・月・年度・年）。年度は年度末",
                                  "how precisely the document gave the deadline (day, month, fiscal_year: its end, year)"),
    "target_text": ("目標（原文）", "文書に書かれた目標の文言", "the target as written in the document"),
    "scheme": ("評価方式", "評価に使った評価方式", "the rating scheme used"),
    "rating": ("評価", "評価（mierukaの再計算、なければ公表評価）", "rating (mieruka's computed one, else the published one)"),
    "rating_computed": ("評価（再計算）", "mierukaが数値から計算した評価", "the rating mieruka computed from the figures"),
    "rating_official": ("評価（公表）", "文書が公表した評価", "the rating the documents published"),
    "next_measurement": ("次回の測定時期", "文書に書かれた次回の測定時期", "next measurement as written"),
    "next_measurement_date": ("次回の測定日", "次回の測定時期を日付にしたもの", "next measurement as a date"),
    "no": ("番号", "文書での番号", "number in the document"),
    "code": ("コード", "施策番号または団体コード（JIS X 0402）", "measure code, or local body code (JIS X 0402)"),
    "pillar": ("柱", "施策の柱", "the measure's pillar"),
    "timing": ("実施時期", "施策の実施時期", "when the measure is carried out"),
    "effect_efficiency": ("効果: 効率化", "期待される効果に効率化を含むか", "whether efficiency is an expected effect"),
    "effect_economy": ("効果: 経済性", "期待される効果に経済性（コスト削減）を含むか", "whether economy (cost cut) is an expected effect"),
    "effect_convenience": ("効果: 利便性", "期待される効果に住民の利便性を含むか", "whether convenience is an expected effect"),
    "effect_safety": ("効果: 安全性", "期待される効果に安全性を含むか", "whether safety is an expected effect"),
    "lead_ministry": ("主担当府省庁", "主担当の府省庁", "lead ministry"),
    "ministries": ("関係府省庁", "関係する府省庁（、区切り）", "ministries involved (separated by 、)"),
    "kpi_progress": ("KPI（進捗）", "進捗を測るKPI", "KPI of progress"),
    "kpi_effect": ("KPI（効果）", "効果を測るKPI", "KPI of effect"),
    "support": ("国の支援", "地方公共団体への国の支援", "national support to local bodies"),
    "budget_programme": ("予算事業", "関係する予算事業", "budget programme"),
    "urls": ("参考URL", "参考となるURL（空白区切り）", "reference URLs (space separated)"),
    "source_document": ("出典文書", "出典の文書の題名（題名のない文書はファイル名）", "the source document's title (its file name when it prints none)"),
    "source_date": ("出典文書の日付", "出典の文書の日付", "the source document's date"),
    "source_file": ("出典ファイル", "出典の文書のファイル名", "the source document's file name"),
    "source_files": ("出典ファイル", "出典の文書のファイル名と行（; 区切り）", "source files and lines (separated by ;)"),
    "source_line": ("出典の行", "出典文書の行番号", "line of the source document"),
    "title": ("題名", "題名", "title"),
    "municipalities": ("自治体", "事例の自治体（、区切り）", "the case's local bodies (separated by 、)"),
    "theme": ("テーマ", "テーマ", "theme"),
    "effect_label": ("効果の項目", "効果の項目", "what the effect is on"),
    "amount_yen": ("金額（円）", "効果の金額（円）", "amount of the effect in yen"),
    "change_percent": ("増減率（%）", "効果の増減率（%）", "change in percent"),
    "period_years": ("期間（年）", "効果の期間（年）", "period of the effect in years"),
    "effect_text": ("効果（原文）", "文書に書かれた効果の文言", "the effect as written"),
    "file_name": ("ファイル名", "取り込んだファイルの名前", "name of the file ingested"),
    "family": ("文書の種類", "文書の種類（改革工程表、施策一覧など）", "kind of document"),
    "doc_date": ("文書の日付", "文書の日付", "date of the document"),
    "ingested_at": ("取込日時", "mierukaに取り込んだ日時", "when the document was loaded into mieruka"),
    "encoding": ("文字コード", "ファイルの文字コード", "character encoding of the file"),
    "size_bytes": ("サイズ（バイト）", "ファイルの大きさ", "file size in bytes"),
    "sha256": ("SHA-256", "ファイルの指紋（同じファイルかの確認用）", "the file's fingerprint (to check it is the same file)"),
    "count_items": ("改革項目数", "文書から読んだ改革項目の数", "reform items read from the document"),
    "count_kpis": ("KPI数", "文書から読んだKPIの数", "KPIs read from the document"),
    "count_observations": ("実績値数", "文書から読んだ実績値の数", "actual values read from the document"),
    "count_measures": ("施策数", "文書から読んだ施策の数", "measures read from the document"),
    "count_cases": ("事例数", "文書から読んだ事例の数", "cases read from the document"),
    "count_unplaced": ("未分類の行数", "どこにも割り当てられなかった行の数", "lines that were not placed"),
    "kind": ("種類", "種類", "kind"),
    "kpi_id": ("KPI ID", "KPIの番号", "the KPI's number"),
    "kpi": ("KPI", "KPIの名称", "the KPI's name"),
    "message": ("内容", "指摘の内容", "what the finding says"),
    "sources": ("出典", "出典の文書の題名・日付と行（; 区切り）", "source documents by title and date, with lines (separated by ;)"),
    "number": ("番号", "改革項目の番号", "the reform item's number"),
    "kpis": ("KPI数", "KPIの数", "number of KPIs"),
    "steps": ("改革工程数", "改革工程の数", "number of process steps"),
    "schedules": ("工程表の数", "工程表の数", "number of schedules"),
    "status_words": ("進捗の表現", "文書での進捗の表現（順調など）", "the progress words of the documents (順調 …)"),
    "rank": ("順位", "順位", "rank"),
    "prefecture": ("都道府県", "都道府県", "prefecture"),
    "prefecture_code": ("都道府県コード", "都道府県コード", "prefecture code"),
    "population": ("人口", "人口（人）", "population"),
    "adopted": ("導入済み", "取組を導入しているか", "whether the body has adopted the initiative"),
    "cost": ("費用（円）", "費用（円）", "cost in yen"),
    "cost_per_resident": ("住民1人当たり費用（円）", "住民1人当たりの費用（円）", "cost per resident in yen"),
}

# Coded values a Japanese download shows in words (the JSON and English downloads keep the codes).
VALUES_JA: dict[str, dict[str, str]] = {
    "latest_status": {"preliminary": "速報値", "final": "確報値", "forecast": "見込み"},
    **{key: {"day": "日", "month": "月", "fiscal_year": "年度", "year": "年"}
       for key in ("baseline_as_of_precision", "latest_as_of_precision", "target_deadline_precision")},
}

SOURCE = {"ja": "出典: mieruka（見える化）。各行の出典文書（題名・日付・行）は出典の列のとおり。元の文書は各府省の公表資料。",
          "en": "Source: mieruka. Each row's source document (title, date, line) is in its source columns; the documents "
                "are publications of Japanese ministries."}
LICENCE = {"ja": "ライセンス: 出典の文書は政府標準利用規約（第2.0版）に準拠（CC BY 4.0互換）。利用の際は出典を明記してください。",
           "en": "Licence: the source documents are under the Government of Japan Standard Terms of Use 2.0 (compatible with "
                 "CC BY 4.0); credit the source when you use them."}
SHEET = {"ja": "列の説明", "en": "Columns"}


def header(key: str, lang: str) -> str:
    """The column's header in a download of that language: Japanese on a Japanese page, the key itself in English."""
    if lang == "ja" and key in COLUMNS:
        return COLUMNS[key][0]
    return key


def description(key: str, lang: str) -> str:
    if key not in COLUMNS:
        return "—"
    return COLUMNS[key][1] if lang == "ja" else COLUMNS[key][2]


RATING_KEYS = ("rating", "rating_computed", "rating_official")
BASIS_JA = {"computed": "再計算", "official": "公表"}
CODED = frozenset({*VALUES_JA, "rating_basis", *RATING_KEYS, "scheme"})  # the keys shown() may put in words


def shown(key: str, value, lang: str):
    """A cell's value as the download of that language shows it: a coded value in Japanese words on a Japanese page
    (a rating scheme's word codes, ESCAP's 'substantial' or 'na', by the scheme file's Japanese label; the documents'
    own one-character codes A/B/N/F, S/A/B/C, イ/ロ/ハ/ー stay as printed)."""
    if lang != "ja" or not isinstance(value, str):
        return value
    if key in VALUES_JA:
        return VALUES_JA[key].get(value, value)
    if key == "rating_basis":
        return BASIS_JA.get(value, value)
    if key in RATING_KEYS and len(value) > 1:
        return _rating_words()[0].get(value, value)
    if key == "scheme":
        return _rating_words()[1].get(value, value)
    return value


_words: tuple[float, tuple[dict[str, str], dict[str, str]]] = (0.0, ({}, {}))
_WORDS_KEPT_S = 1.0


def _rating_words() -> tuple[dict[str, str], dict[str, str]]:
    """Word code → Japanese label over every scheme file (a word two schemes label differently is left as it is), and
    scheme name → its Japanese title.
    Kept for a second: a download asks for it on every row, and a scheme file edited by hand shows within that."""
    global _words
    made, words = _words
    if time.monotonic() - made < _WORDS_KEPT_S:
        return words
    labels: dict[str, set[str]] = {}
    titles: dict[str, str] = {}
    for name, path in schemes.available().items():
        try:
            scheme = schemes.load_file(path)
        except schemes.SchemeError:
            continue  # a broken file is reported where it is used, not in a download
        titles[name] = scheme.title_ja
        for code in scheme.codes.values():
            if len(code.code) > 1:
                labels.setdefault(code.code, set()).add(code.ja)
    words = {code: next(iter(ja)) for code, ja in labels.items() if len(ja) == 1}
    _words = (time.monotonic(), (words, titles))
    return words, titles
