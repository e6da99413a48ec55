"""Cluster path: the same stage functions under Ray Data, writing JSON Lines shards.

    speechminer-ray (python -m pipeline.ray_runner) PATHS… --out shards/ [--workers 2] [--address auto]
    speechminer merge shards/*.jsonl --db outputs/speeches.db

Each shard line is one speech: the plain rows `ingest.extract_rows` returns
(the same dicts `ingest`'s worker processes send to its writer), or a failure
`{"file": …, "error": reason}`. Ray is an optional extra
(`pip install 'speechminer[ray]'`); `write_shards` does the same without Ray
(one process), and `merge` needs no Ray at all.

On a cluster, the input paths must be readable from every node (a shared
file system); shards are written by the workers into `--out`, which must be
shared too, and merged into SQLite by one process.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Iterable

from .ingest import iter_inputs, read_shard, shard_line, warm_worker

__all__ = ["write_shards", "run_ray", "read_shard", "extract_line", "Extractor", "main"]

SHARD_GLOB = "*.jsonl"
extract_line = shard_line  # one shard line for one file: its rows as JSON, or its failure


def _files(paths: Iterable[str | os.PathLike]) -> list[str]:
    return [str(Path(f).resolve()) for f in iter_inputs([str(p) for p in paths])]


class Extractor:
    """Stateful Ray Data callable: loads the rules once per actor, then maps batches of paths."""

    def __init__(self) -> None:
        warm_worker()

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        return {"record": [extract_line(str(p)) for p in batch["path"]]}


def write_shards(paths: Iterable[str | os.PathLike], out: str | os.PathLike, per_shard: int = 100) -> list[Path]:
    """Without Ray: extract every file and write shards of `per_shard` speeches into `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = _files(paths)
    written = []
    for n, start in enumerate(range(0, len(files), per_shard)):
        shard = out / f"shard-{n:05d}.jsonl"
        tmp = shard.with_suffix(".jsonl.part")
        with open(tmp, "w", encoding="utf-8") as fh:
            for f in files[start:start + per_shard]:
                fh.write(extract_line(f) + "\n")
        os.replace(tmp, shard)  # a shard is complete or absent
        written.append(shard)
    return written


def run_ray(paths: Iterable[str | os.PathLike], out: str | os.PathLike, workers: int = 2, batch_size: int = 8,
            address: str | None = None) -> list[Path]:
    """Extract under Ray Data (`map_batches` with the stateful `Extractor`) and write JSONL shards."""
    import ray

    files = _files(paths)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = False
    if not ray.is_initialized():
        kw: dict[str, Any] = {"include_dashboard": False, "logging_level": "ERROR", "log_to_driver": False}
        if address:
            kw["address"] = address
        else:
            kw["num_cpus"] = workers
        # workers import this package: make the source tree importable for them too
        kw["runtime_env"] = {"env_vars": {"PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")]).strip(os.pathsep)}}
        ray.init(**kw)
        started = True
    try:
        ds: Any = ray.data.from_items([{"path": f} for f in files], override_num_blocks=max(1, min(len(files), workers * 4)))
        ds = ds.map_batches(Extractor, batch_size=batch_size, concurrency=workers, num_cpus=1)
        before = set(out.glob("*.json")) | set(out.glob(SHARD_GLOB))
        ds.write_json(str(out))
        new = sorted(set(out.glob("*.json")) - before)
        shards = []
        for f in new:  # Ray names them *.json; they are JSON Lines
            target = f.with_suffix(".jsonl")
            os.replace(f, target)
            shards.append(target)
        return shards
    finally:
        if started:
            ray.shutdown()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pipeline.ray_runner", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--out", required=True, help="folder for the JSONL shards")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="extractor actors (default: cores)")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--address", help="Ray cluster address (default: start a local Ray)")
    ap.add_argument("--no-ray", action="store_true", help="write the shards in this process, without Ray")
    args = ap.parse_args(argv)
    if args.no_ray:
        shards = write_shards(args.paths, args.out)
    else:
        try:
            import ray  # noqa: F401
        except ImportError:
            print("error: Ray is not installed: pip install 'speechminer[ray]' (or use --no-ray)", file=sys.stderr)
            return 2
        shards = run_ray(args.paths, args.out, workers=args.workers, batch_size=args.batch_size, address=args.address)
    print(f"wrote {len(shards)} shards to {args.out}; load them with: speechminer merge {args.out} --db DB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
