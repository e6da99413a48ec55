"""Store benchmark: a synthetic database of N speeches, query latency and plans.

Each corpus speech is extracted once; its rows are then cloned with a new id,
locality and period and inserted directly (no re-extraction), N in all. The
script then times `Store.tasks(unit="发改")` (the README's query), the same
through the CLI process, `Store.metrics(indicator=…)` over all speeches and for
one county, `Store.diff` of two speeches and `diff_period`, each
the median of several runs, and prints the query plans. Not a test.

    python benchmarks/store_bench.py                 # 10,000 speeches in a temp dir
    python benchmarks/store_bench.py -n 2000 --db outputs/bench.db --keep
"""
from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.extraction import extract  # noqa: E402
from pipeline.store import Store, rows_from_result  # noqa: E402

COUNTIES = [f"{a}{b}县" for a in "青白红黄金银石云龙凤松柏梅兰竹桃李杨柳桂枫樟榆槐杉" for b in "山水川河林溪岭峰湖江泉源塘坪岗田桥亭阳平"]  # 500


def periods(n: int) -> list[str]:
    """As many quarters, ending 2025Q4, as give each county one speech a quarter (20 for 10,000)."""
    need = -(-n // len(COUNTIES))
    first = 2026 - -(-need // 4)
    return [f"{y}Q{q}" for y in range(first, 2026) for q in range(1, 5)][-need:]


PERIODS = periods(10_000)
MONTH = {1: "01", 2: "04", 3: "07", 4: "10"}


def build(store: Store, n: int, corpus: Path) -> dict:
    global PERIODS
    PERIODS = periods(n)
    files = sorted(corpus.glob("*.txt"))
    t0 = time.perf_counter()
    bases = [rows_from_result(extract(f), str(f)) for f in files]
    t_extract = time.perf_counter() - t0
    t0 = time.perf_counter()
    c = store.conn
    batch = 250
    for start in range(0, n, batch):
        with store.transaction():
            for i in range(start, min(n, start + batch)):
                # speech i: county i mod 500, quarter i div 500, and a corpus speech that
                # changes from one quarter to the next of the same county
                k = i // len(COUNTIES)
                rows = bases[(i + k) % len(bases)]
                period = PERIODS[k % len(PERIODS)]
                sp = dict(rows["speech"])
                sp.update(id=hashlib.sha256(f"clone-{i}".encode()).hexdigest(), path=f"/synthetic/{i:05d}.txt",
                          doc=f"{i:05d}_{sp['doc']}", locality=COUNTIES[i % len(COUNTIES)], period=period,
                          meeting_date=f"{period[:4]}-{MONTH[int(period[-1])]}")
                store._insert(c, sp, rows)
    return {"extract_s": t_extract, "insert_s": time.perf_counter() - t0, "bases": len(bases)}


def median_ms(fn, runs: int) -> tuple[float, object]:
    out, times = None, []
    fn()  # warm the page cache and statement cache
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--speeches", type=int, default=10_000)
    ap.add_argument("--db", help="database file (default: a temp file, removed at the end)")
    ap.add_argument("--keep", action="store_true", help="keep the database")
    ap.add_argument("--reuse", action="store_true", help="query the --db built by an earlier run instead of building it")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--corpus", default=str(ROOT / "corpus"))
    args = ap.parse_args()

    tmp = None
    if args.db:
        db = Path(args.db)
        if not args.reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory()
        db = Path(tmp.name) / "bench.db"
    store = Store(db)
    if args.reuse and args.db and store.counts()["speeches"] == args.speeches:
        global PERIODS
        PERIODS = periods(args.speeches)
        info = {"extract_s": 0.0, "insert_s": 0.0, "bases": len(list(Path(args.corpus).glob("*.txt")))}
    else:
        info = build(store, args.speeches, Path(args.corpus))
        store.conn.execute("ANALYZE")
    counts = store.counts()
    size_mb = sum(os.path.getsize(p) for p in (str(db), str(db) + "-wal") if os.path.exists(p)) / 1e6

    rows = []
    ms, df = median_ms(lambda: store.tasks(unit="发改"), args.runs)
    rows.append(("Store.tasks(unit='发改')", ms, f"{len(df)} rows"))
    ms, df = median_ms(lambda: store.tasks(unit="发改", limit=50), args.runs)
    rows.append(("Store.tasks(unit='发改', limit=50)", ms, f"{len(df)} rows"))
    ms, df = median_ms(lambda: store.tasks(unit="发改", locality=COUNTIES[0], since="2023Q1"), args.runs)
    rows.append(("Store.tasks(unit='发改', locality, since)", ms, f"{len(df)} rows"))
    sql, params = store.tasks_sql(unit="发改")
    ms, raw = median_ms(lambda: store.conn.execute(sql, params).fetchall(), args.runs)
    rows.append(("  its SQL alone (no DataFrame)", ms, f"{len(raw)} rows"))
    ms, df = median_ms(lambda: store.metrics(indicator="固定资产投资"), args.runs)
    rows.append(("Store.metrics(indicator='固定资产投资')", ms, f"{len(df)} rows"))
    ms, df = median_ms(lambda: store.metrics(indicator="固投", locality=COUNTIES[0]), args.runs)
    rows.append(("Store.metrics(indicator='固投', locality) (one county's series)", ms, f"{len(df)} rows"))
    a_id, b_id = (store.conn.execute("SELECT id FROM speeches WHERE path = ?", (f"/synthetic/{i:05d}.txt",)).fetchone()[0]
                  for i in (0, 1))
    ms, df = median_ms(lambda: store.diff(a_id[:12], b_id[:12]), args.runs)
    rows.append(("Store.diff(a, b)", ms, f"{len(df)} commitments"))
    ms, df = median_ms(lambda: store.diff_period(COUNTIES[0], PERIODS[0], PERIODS[1]), args.runs)
    rows.append(("Store.diff_period(locality, Q, Q+1)", ms, f"{len(df)} commitments"))
    ms, df = median_ms(lambda: store.search("考核", limit=50), args.runs)
    rows.append(("Store.search('考核', limit=50)", ms, f"{len(df)} rows"))
    cli_runs = max(3, args.runs // 2)
    exe = [str(Path(sys.executable).with_name("speechminer"))]
    if Path(exe[0]).exists():
        cmd = exe + ["tasks", "--unit", "发改", "--db", str(db), "--format", "csv", "--limit", "50"]
        probe = subprocess.run(cmd, capture_output=True, text=True)
        if probe.returncode:
            sys.exit(f"CLI failed: {probe.stderr}")
        ms, _ = median_ms(lambda: subprocess.run(cmd, capture_output=True, check=True), cli_runs)
        rows.append(("CLI `speechminer tasks --unit 发改 --limit 50` (process)", ms, "incl. Python start-up"))

    print(f"\nsynthetic store: {args.speeches:,} speeches from {info['bases']} corpus files "
          f"(extract {info['extract_s']:.1f} s, insert {info['insert_s']:.1f} s, {size_mb:.0f} MB)")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items() if v))
    print(f"\n| query | median ms (of {args.runs}) | result |\n|---|---:|---|")
    for name, ms, note in rows:
        print(f"| {name} | {ms:.1f} | {note} |")

    print("\nEXPLAIN QUERY PLAN  Store.tasks(unit='发改')")
    for line in store.explain(sql, params):
        print("  " + line)
    print("\nEXPLAIN QUERY PLAN  Store.tasks(unit='发改', limit=50)  (speeches walked in meeting order)")
    for line in store.explain(*store.tasks_sql(unit="发改", limit=50)):
        print("  " + line)
    print("\nEXPLAIN QUERY PLAN  Store.metrics(indicator='固投', locality)")
    w, p = store._indicator_clause("固投", "m")
    q = ("SELECT m.id FROM metrics m JOIN speeches s ON s.id = m.speech_id LEFT JOIN sentences se ON se.id = m.sentence_id "
         f"WHERE {w} AND s.locality = ? ORDER BY s.meeting_date, s.doc, m.start")
    for line in store.explain(q, [*p, COUNTIES[0]]):
        print("  " + line)
    print("\nEXPLAIN QUERY PLAN  commitments of one speech (diff)")
    for q in ("SELECT * FROM targets g LEFT JOIN sentences se ON se.id = g.sentence_id WHERE g.speech_id = ?",
              "SELECT * FROM tasks t LEFT JOIN sentences se ON se.id = t.sentence_id WHERE t.speech_id = ?",
              "SELECT id FROM speeches WHERE locality = ? AND period = ?"):
        for line in store.explain(q, [a_id] if q.count("?") == 1 else [COUNTIES[0], PERIODS[0]]):
            print("  " + line)
    store.close()
    if args.keep or args.db:
        print(f"\ndatabase kept at {db}")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
