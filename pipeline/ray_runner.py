"""Cluster path: the same stage functions under Ray Data, writing JSON Lines shards.

    speechminer-ray (python -m pipeline.ray_runner) PATHS… --out shards/ [--workers 2] [--address auto]
    speechminer merge shards/*.jsonl --db outputs/speeches.db

Each shard line is one speech: the plain rows `store.rows_from_result` builds
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
import json
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator

SHARD_GLOB = "*.jsonl"


def _files(paths: Iterable[str | os.PathLike]) -> list[str]:
    from .cli import iter_inputs

    return [str(Path(f).resolve()) for f in iter_inputs([str(p) for p in paths])]


def extract_line(path: str) -> str:
    """One shard line for one file: its rows as JSON, or its failure."""
    from .store import _extract_rows, _reason

    try:
        rows = _extract_rows(path)
    except Exception as err:  # one bad file is one failure line, never a failed job
        return json.dumps({"file": path, "error": _reason(err)}, ensure_ascii=False)
    return json.dumps(rows, ensure_ascii=False, default=str)


class Extractor:
    """Stateful Ray Data callable: loads the rules once per actor, then maps batches of paths."""

    def __init__(self) -> None:
        from .store import _warm_worker

        _warm_worker()

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
        ds = ray.data.from_items([{"path": f} for f in files], override_num_blocks=max(1, min(len(files), workers * 4)))
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


def read_shard(shard: str | os.PathLike) -> Iterator[tuple[str, str | None, Any]]:
    """(name, path, rows or an exception) for each line of a shard, for `Store.write_stream`.

    Accepts plain lines (rows or failures) and Ray's `{"record": "<json>"}` wrapping.
    A broken line (a shard cut short) is one failure naming the shard and line.
    """
    from .store import ExtractFailed

    shard = Path(shard)
    try:
        fh = open(shard, encoding="utf-8")
    except OSError as err:
        yield str(shard), None, ExtractFailed(f"cannot read shard: {err.strerror or err}")
        return
    with fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{shard}:{i}"
            try:
                obj = json.loads(line)
                if isinstance(obj, dict) and set(obj) == {"record"} and isinstance(obj["record"], str):
                    obj = json.loads(obj["record"])
            except ValueError as err:
                yield where, None, ExtractFailed(f"broken shard line: {err}")
                continue
            if not isinstance(obj, dict):
                yield where, None, ExtractFailed("broken shard line: not an object")
            elif "error" in obj:
                yield str(obj.get("file") or where), None, ExtractFailed(str(obj["error"]))
            elif not {"speech", "sections", "sentences", "metrics", "targets", "tasks"} <= set(obj):
                yield where, None, ExtractFailed("broken shard line: not a speech's rows")
            else:
                yield str(obj["speech"].get("path") or where), obj["speech"].get("path"), obj


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
