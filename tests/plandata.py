"""A database holding only the national measure catalogue of the bundled sample (82 measures, seed 003), for the
plan tests; and the five measures from three pillars the plan tests choose for 海老名市 (15 and 12, 32, 3 and 10: three pillars)."""
from __future__ import annotations

import json
from pathlib import Path

from mieruka.ingest.sample import SAMPLE_PATH
from mieruka.loading.sample import load_sample

EBINA = "142158"
# (number, pillar, section, KPI, baseline, target, deadline, schedule) as a planner would type them
CHOICES = [
    (15, "官民データの容易な利用等", "情報政策課", "本市のオープンデータ公開数", "2023年度 40件", "2027年度までに 100件", "",
     "令和6年度: 推奨データセットの公開\n令和7年度: 公開データの拡充\n令和8年度: 利用者との意見交換"),
    (12, "官民データの容易な利用等", "情報政策課", None, "2023年度 5件", "150件", "令和9年度",
     "令和6年度: 棚卸リストの作成\n令和7年度: 棚卸リストの公開"),
    (32, "個人番号カードの普及及び活用", "市民課", "コンビニ交付の交付通数の割合", "2023年度 20%", "2027年度 45%", "",
     "令和6年度: 交付手数料の見直し\n令和7年度: 周知の強化"),
    (3, "手続における情報通信の技術の利用等", "デジタル推進課", "オンラインで申請できる手続の数", "2023年度 120手続",
     "2028年度までに 300手続", "", "令和6年度: 手続の棚卸\n令和7年度: 電子申請システムの更新\n令和8年度: 対象手続の拡大"),
    (10, "手続における情報通信の技術の利用等", "税務課", "特別徴収税額通知を電子で送付した件数", "2023年度 1,200件",
     "2027年度までに 3,000件", "", "令和6年度: eLTAXの利用案内\n令和7年度: 事業者への周知"),
]


def catalogue_json(tmp_path: Path) -> Path:
    """The sample with only its measure catalogue document."""
    data = json.loads(Path(SAMPLE_PATH).read_text(encoding="utf-8"))
    data["documents"] = [d for d in data["documents"] if d["extraction"]["measures"]]
    out = tmp_path / "catalogue.json"
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return out


def build(url: str, tmp_path: Path) -> None:
    load_sample(url, catalogue_json(tmp_path))


def form(choice: tuple) -> dict:
    no, _, section, kpi, baseline, target, deadline, schedule = choice
    return {"measure": str(no), "section": section, "kpi": kpi, "baseline": baseline, "target": target,
            "deadline": deadline, "schedule": schedule}
