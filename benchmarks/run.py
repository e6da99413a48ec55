"""Throughput of each stage and of the whole pipeline, against plain jieba.lcut.

    python benchmarks/run.py [--mb 20] [--profile]

The bundled corpus is repeated until it holds about --mb megabytes of UTF-8
text; every document goes through each stage separately (as ingest does).
Baseline: `jieba.lcut` over the same documents, in the same run. Figures are
characters per second; the ratio pipeline/jieba is the number to watch (goal:
at least 1.0). Peak memory is the process's maximum resident set size.
"""
from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _timed(fn, items):
    t = time.perf_counter()
    out = [fn(x) for x in items]
    return time.perf_counter() - t, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=20.0, help="megabytes of text to process (default 20)")
    ap.add_argument("--ingest", type=int, default=300, metavar="N",
                    help="also time `speechminer ingest` of N (and N/10) distinct speeches with -j 1 and -j 2 (0: skip)")
    ap.add_argument("--profile", action="store_true", help="print where the time goes (cProfile, top 15)")
    ap.add_argument("--glob", default="0[0-9][0-9]_*.txt", help="which corpus files to repeat (default: the five seed speeches)")
    args = ap.parse_args(argv)

    import jieba

    from pipeline import metrics, tasks
    from pipeline.normalize import normalize_text
    from pipeline.segment import segment

    jieba.setLogLevel(60)
    jieba.initialize()
    # the five speeches the figures have always been measured on (the corpus's later work
    # reports are longer and denser in figures: with them the mix, not the code, would move)
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob(args.glob))]
    size = sum(len(s.encode("utf-8")) for s in seeds)
    reps = max(1, round(args.mb * 2**20 / size))
    texts = [t for _ in range(reps) for t in seeds]
    chars = sum(len(t) for t in texts)
    # warm up caches (rules, OpenCC, regexes)
    d0 = normalize_text(seeds[0])
    metrics.extract(d0, segment(d0.text))
    tasks.extract(d0, segment(d0.text))

    rows = []
    t_jieba, _ = _timed(jieba.lcut, texts)
    t_norm, docs = _timed(lambda t: normalize_text(t), texts)
    t_seg, outlines = _timed(lambda d: segment(d.text), docs)
    pairs = list(zip(docs, outlines))
    t_met, _ = _timed(lambda p: metrics.extract(*p), pairs)
    t_task, _ = _timed(lambda p: tasks.extract(*p), pairs)

    from pipeline.extraction import extract

    t_all, _ = _timed(extract, texts)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for name, secs in (("jieba.lcut (baseline)", t_jieba), ("normalize", t_norm), ("segment", t_seg),
                       ("metrics+targets", t_met), ("tasks", t_task), ("whole pipeline (extract)", t_all)):
        rows.append((name, secs, chars / secs))
    print(f"machine: {platform.processor() or platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"corpus: {len(texts)} documents, {chars:,} characters ({reps} x the {len(seeds)} bundled speeches, {chars * 3 / 2**20:.1f} MB UTF-8 approx.)")
    print(f"{'stage':28} {'seconds':>8} {'chars/s':>12}")
    for name, secs, rate in rows:
        print(f"{name:28} {secs:8.2f} {rate:12,.0f}")
    print(f"ratio pipeline/jieba: {t_jieba / t_all:.2f}  (>= 1.0 means the whole pipeline is faster than jieba alone)")
    # The machine's speed drifts over a run (shared cores): alternate the two on the same slices too.
    k = 10
    step = max(1, len(texts) // k)
    ratios = []
    for i in range(0, step * k, step):
        chunk = texts[i:i + step]
        tj, _ = _timed(jieba.lcut, chunk)
        te, _ = _timed(extract, chunk)
        ratios.append(tj / te)
    ratios.sort()
    print(f"ratio pipeline/jieba, alternating on {k} slices: median {ratios[k // 2]:.2f} "
          f"(range {ratios[0]:.2f}-{ratios[-1]:.2f})")
    print(f"peak memory (max RSS): {peak:.0f} MB")
    per_doc = t_all / len(texts)
    print(f"extrapolated: 100,000 speeches of this size on one core: {per_doc * 100_000 / 60:.1f} min")
    if args.ingest:
        _ingest_speedup(seeds, args.ingest)
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for t in texts[: max(5, len(texts) // 10)]:
            extract(t)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    return 0


def _ingest_speedup(seeds: list[str], n: int, rounds: int = 5) -> None:
    """Wall time of `speechminer ingest` (a fresh process: start-up, extraction, SQLite writes with
    the full-text index) on n distinct speeches and on n // 10, with -j 1 and -j 2. The difference
    of the two runs over the difference of their sizes is the steady rate per speech, without the
    start-up (imports, rules, the workers' first compile) that a long run pays once. The four runs
    are repeated `rounds` times, interleaved, and the median is reported: the cores are shared, and
    a single run can be a third off."""
    import statistics
    import subprocess
    import tempfile

    exe = str(Path(sys.executable).with_name("speechminer"))
    small = max(4, n // 10)

    with tempfile.TemporaryDirectory() as tmp:
        folders = {}
        for size in (small, n):
            folder = Path(tmp) / f"in{size}"
            folder.mkdir()
            for i in range(size):  # a small edit each, so that no two files are the same speech
                (folder / f"s{i:04d}.txt").write_text(seeds[i % len(seeds)].replace("。", f"（第{i}稿）。", 1),
                                                      encoding="utf-8")
            folders[size] = folder
        per: dict[int, list[float]] = {1: [], 2: []}
        whole: dict[int, list[float]] = {1: [], 2: []}
        for r in range(rounds):
            for workers in (1, 2):
                t: dict[int, float] = {}
                for size in (small, n):
                    db = Path(tmp) / f"j{workers}-{size}-{r}.db"
                    t0 = time.perf_counter()
                    subprocess.run([exe, "ingest", str(folders[size]), "--db", str(db), "-q", "-j", str(workers)],
                                   check=True, capture_output=True)
                    t[size] = time.perf_counter() - t0
                    db.unlink()
                per[workers].append((t[n] - t[small]) / (n - small))
                whole[workers].append(t[n])
        med = {w: statistics.median(per[w]) for w in per}
        for w in (1, 2):
            print(f"ingest -j {w}: {n} speeches in a median {statistics.median(whole[w]):.1f} s; steady "
                  f"{med[w] * 1000:.1f} ms/speech ({1 / med[w]:.1f}/s), rounds "
                  + ", ".join(f"{x * 1000:.1f}" for x in per[w]) + " ms")
        print(f"speed-up with 2 workers: {med[1] / med[2]:.2f}x (steady), "
              f"{statistics.median(whole[1]) / statistics.median(whole[2]):.2f}x (whole {n}-speech run)")
        print(f"extrapolated: 100,000 speeches with 2 workers: {med[2] * 100_000 / 60:.0f} min "
              f"(1 worker: {med[1] * 100_000 / 60:.0f} min)")


if __name__ == "__main__":
    sys.exit(main())
