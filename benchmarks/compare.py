"""The whole pipeline of another version of the code and of this tree, side by side, each
against plain jieba.lcut.

    python benchmarks/compare.py REV [--mb 5] [--slices 20]

REV (a commit, tag or branch of this repository) is checked out into a temporary worktree.
Two worker processes, one for REV and one for this tree, each load their own pipeline once.
The text is the five seed speeches repeated (as in run.py), cut into slices; every slice is
timed in both workers in turn, jieba.lcut and then extract, and the order of the two workers
is swapped from one slice to the next. On shared cores whose speed drifts within a run, the
two versions then meet the same drift, which a pair of separate runs of run.py does not
give them.

Reported for each version: the median over the slices of jieba time / extract time (the
ratio run.py reports; above 1.0 the pipeline is faster than jieba alone), and the median of
the two versions' extract times on the same slice.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# what each worker runs: its version of the pipeline on the slices the parent names
_WORKER = r"""
import sys, time
from pathlib import Path
root, files = sys.argv[1], sys.argv[2:]
sys.path.insert(0, root)
import jieba
from pipeline.extraction import extract
jieba.setLogLevel(60)
jieba.initialize()
seeds = [Path(f).read_text(encoding="utf-8") for f in files]
jieba.lcut(seeds[0]); extract(seeds[0])  # warm-up: rules, grammars, caches
print("ready", flush=True)
for line in sys.stdin:
    reps, start = (int(x) for x in line.split())
    texts = [seeds[(start + i) % len(seeds)] for i in range(reps)]
    t0 = time.perf_counter()
    for t in texts:
        jieba.lcut(t)
    t1 = time.perf_counter()
    for t in texts:
        extract(t)
    t2 = time.perf_counter()
    print(t1 - t0, t2 - t1, flush=True)
"""


class _Worker:
    """One version's pipeline in its own process."""

    def __init__(self, root: Path, files: list[Path]):
        env = {k: v for k, v in os.environ.items() if k not in ("SPEECHMINER_RULES", "PYTHONPATH")}
        self.proc = subprocess.Popen([sys.executable, "-c", _WORKER, str(root), *map(str, files)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                                     cwd=str(root))
        if self._line() != "ready":
            raise SystemExit(f"the pipeline of {root} did not start")

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"a benchmark worker stopped (exit code {self.proc.wait()})")
        return line.strip()

    def time(self, reps: int, start: int) -> tuple[float, float]:
        """(jieba seconds, extract seconds) for `reps` documents from seed number `start`."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{reps} {start}\n")
        self.proc.stdin.flush()
        tj, te = self._line().split()
        return float(tj), float(te)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rev", help="the other version: a commit, tag or branch of this repository")
    ap.add_argument("--mb", type=float, default=5.0, help="megabytes of text for each version (default 5)")
    ap.add_argument("--slices", type=int, default=20, help="how many slices the text is cut into (default 20)")
    ap.add_argument("--glob", default="0[0-9][0-9]_*.txt", help="which corpus files to repeat (default: the five seed speeches)")
    args = ap.parse_args(argv)

    files = sorted((ROOT / "corpus").glob(args.glob))
    if not files:
        raise SystemExit(f"no corpus files match {args.glob}")
    size = sum(f.stat().st_size for f in files)
    per_slice = max(1, round(args.mb * 2**20 / size * len(files) / args.slices))
    rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.rev],
                         capture_output=True, text=True)
    if rev.returncode:
        raise SystemExit(f"not a revision of this repository: {args.rev} ({rev.stderr.strip()})")
    with tempfile.TemporaryDirectory(prefix="speechminer-compare-") as tmp:
        other = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(other), args.rev],
                       check=True)
        try:
            workers = {"this tree": _Worker(ROOT, files), rev.stdout.strip(): _Worker(other, files)}
            names = list(workers)
            times: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
            for i in range(args.slices):
                order = names if i % 2 == 0 else names[::-1]
                for n in order:
                    times[n].append(workers[n].time(per_slice, i * per_slice))
            for w in workers.values():
                w.close()
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)], check=False)

    docs = per_slice * args.slices
    print(f"{docs} documents for each version ({args.slices} slices of {per_slice}), the two alternating slice by slice")
    print(f"{'version':12} {'jieba/extract':>14} {'(range)':>12} {'extract s':>10} {'jieba s':>8}")
    for n in names:
        ratios = sorted(tj / te for tj, te in times[n])
        print(f"{n:12} {statistics.median(ratios):14.2f} {ratios[0]:5.2f}-{ratios[-1]:<5.2f} "
              f"{sum(te for _, te in times[n]):10.2f} {sum(tj for tj, _ in times[n]):8.2f}")
    a, b = names
    rel = sorted(x[1] / y[1] for x, y in zip(times[a], times[b]))
    print(f"extract time, {a} / {b} on the same slice: median {statistics.median(rel):.2f} "
          f"(range {rel[0]:.2f}-{rel[-1]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
