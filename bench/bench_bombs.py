"""Benchmark: the peak memory of `mieruka survey import` and `mieruka ingest` given an XLSX of about 1.5 MB that
unzips to 1.5 GB (a zip bomb). Target: refused, exit 1, under 300 MB resident. Prints the figures; exits 1 over target.
Usage: python bench/bench_bombs.py [expanded MB, default 1536]"""
from __future__ import annotations

import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from openpyxl import Workbook

TARGET_MB = 300
ROW = b'<row><c t="inlineStr"><is><t>011002</t></is></c><c t="inlineStr"><is><t>\xe2\x97\x8b</t></is></c></row>'


def bomb(path: Path, expanded_mb: int) -> Path:
    """A real workbook whose first sheet holds expanded_mb of rows, streamed into the zip at the best compression."""
    book = Workbook()
    book.active.append(["団体コード", "導入"])
    book.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    chunk = ROW * (2**20 // len(ROW))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in parts.items():
            if name != "xl/worksheets/sheet1.xml":
                z.writestr(name, data)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                        b'2006/main"><sheetData>')
            for _ in range(expanded_mb):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return path


def peak(args: list[str]) -> tuple[int, float, float]:
    """(exit code, peak resident MB, seconds) of `python -m mieruka ARGS` in a child process of its own."""
    started = time.perf_counter()
    pid = os.posix_spawn(sys.executable, [sys.executable, "-m", "mieruka", *args], dict(os.environ),
                         file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                                       (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
    _, status, usage = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024, time.perf_counter() - started


def main() -> int:
    expanded = int(sys.argv[1]) if len(sys.argv) > 1 else 1536
    with tempfile.TemporaryDirectory() as tmp:
        path = bomb(Path(tmp) / "bomb.xlsx", expanded)
        db = str(Path(tmp) / "b.db")
        print(f"bomb.xlsx: {path.stat().st_size / 2**20:.1f} MB on disk, {expanded:,} MB unzipped")
        failed = False
        for name, args in (("survey import", ["survey", "import", str(path), "--initiative", "窓口委託",
                                              "--as-of", "2017-04-01", "--db", db]),
                           ("ingest", ["ingest", str(path), "--db", db])):
            code, mb, seconds = peak(args)
            ok = code == 1 and mb < TARGET_MB
            failed |= not ok
            print(f"mieruka {name}: exit {code}, peak {mb:.0f} MB resident, {seconds:.1f} s "
                  f"({'ok' if ok else 'OVER TARGET'}: refused under {TARGET_MB} MB)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
