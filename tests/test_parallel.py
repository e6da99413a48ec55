"""Real processes: SIGKILL during ingest, two ingests at once, queries during an ingest,
worker processes, and the cluster path (JSONL shards, `merge`, Ray Data when installed)."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.ray_runner import read_shard, write_shards
from pipeline.store import Store, default_workers

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT / "corpus").glob("*.txt"))
SPEECHMINER = str(Path(sys.executable).with_name("speechminer"))


def make_batch(folder: Path, n: int = 20, offset: int = 0) -> Path:
    """n speeches: corpus files with a small edit each, so that all differ."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(offset, offset + n):
        src = CORPUS[i % len(CORPUS)].read_text(encoding="utf-8")
        (folder / f"speech-{i:03d}.txt").write_text(src.replace("。", f"（第{i}稿）。", 1), encoding="utf-8")
    return folder


PER_SPEECH = {
    "sections": "SELECT count(*) FROM sections WHERE speech_id = ?",
    "sentences": "SELECT count(*) FROM sentences WHERE speech_id = ?",
    "fts": "SELECT count(*) FROM sentences_fts WHERE rowid IN (SELECT id FROM sentences WHERE speech_id = ?)",
    "metrics": "SELECT count(*) FROM metrics WHERE speech_id = ?",
    "targets": "SELECT count(*) FROM targets WHERE speech_id = ?",
    "tasks": "SELECT count(*) FROM tasks WHERE speech_id = ?",
    "task_units": "SELECT count(*) FROM task_units WHERE task_id IN (SELECT id FROM tasks WHERE speech_id = ?)",
}


def per_speech(db: Path) -> dict[str, dict[str, int]]:
    conn = sqlite3.connect(db)
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM speeches")]
        return {i: {k: conn.execute(q, (i,)).fetchone()[0] for k, q in PER_SPEECH.items()} for i in ids}
    finally:
        conn.close()


def check_db(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # no orphans: every record belongs to a stored speech
        for t in ("sections", "sentences", "metrics", "targets", "tasks"):
            assert conn.execute(f"SELECT count(*) FROM {t} WHERE speech_id NOT IN (SELECT id FROM speeches)").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM sentences_fts WHERE rowid NOT IN (SELECT id FROM sentences)").fetchone()[0] == 0
    finally:
        conn.close()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    d = make_batch(tmp_path_factory.mktemp("batch") / "in")
    clean = tmp_path_factory.mktemp("clean") / "clean.db"
    res = Store(clean).ingest([d], progress=False, workers=2)
    assert len(res.added) == 20
    return d, per_speech(clean)


def ingest_cmd(folder: Path, db: Path, workers: int = 2) -> list[str]:
    return [SPEECHMINER, "ingest", str(folder), "--db", str(db), "-q", "-j", str(workers)]


def test_sigkill_during_ingest_loses_nothing_and_a_rerun_completes(batch, tmp_path):
    folder, clean = batch
    db = tmp_path / "killed.db"
    rng = random.Random()
    delays = []
    for _ in range(4):
        delay = rng.uniform(0.4, 2.5)
        delays.append(round(delay, 2))
        proc = subprocess.Popen(ingest_cmd(folder, db), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)  # its own group: the workers die with it
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if not db.exists():
            continue
        check_db(db)
        got = per_speech(db)
        assert set(got) <= set(clean), delays
        for sid, counts in got.items():  # every stored speech is whole
            assert counts == clean[sid], (delays, sid)
    done = subprocess.run(ingest_cmd(folder, db), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (delays, done.stderr)
    check_db(db)
    assert per_speech(db) == clean, delays
    again = subprocess.run(ingest_cmd(folder, db) + ["--format", "json"], capture_output=True, text=True, timeout=60)
    assert json.loads(again.stdout)["unchanged"] == 20


OPEN_IN_LOCKSTEP = """
import sys
from multiprocessing.connection import Client
from pipeline.store import Store
conn = Client((sys.argv[1], int(sys.argv[2])))
for path in sys.argv[3:]:
    conn.recv()  # both processes open the same new file as soon as the test says go
    try:
        Store(path, frames=False, timeout=10).close()
        conn.send("ok")
    except Exception as err:
        conn.send(f"{type(err).__name__}: {err}")
"""


def test_two_processes_creating_one_database_at_once(tmp_path):
    """Switching a new file to WAL is answered with 'database is locked' at once (no busy
    wait) when another process is doing the same; CI saw two ingests fail that way."""
    from multiprocessing.connection import Listener

    paths = [str(tmp_path / f"new-{i}.db") for i in range(25)]
    script = tmp_path / "opener.py"
    script.write_text(OPEN_IN_LOCKSTEP, encoding="utf-8")
    with Listener(("127.0.0.1", 0)) as listener:
        host, port = listener.address
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs = [subprocess.Popen([sys.executable, str(script), host, str(port), *paths], env=env)
                 for _ in range(2)]
        conns = [listener.accept() for _ in procs]
        answers = []
        for _ in paths:
            for c in conns:
                c.send("go")
            answers += [c.recv() for c in conns]
    for p in procs:
        assert p.wait(timeout=60) == 0
    assert answers == ["ok"] * (2 * len(paths))
    for path in paths:  # the second process found the schema made, and did not record it again
        conn = sqlite3.connect(path)
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 1
        conn.close()


def test_two_ingests_into_one_database_at_once(tmp_path, batch):
    _, clean = batch
    a = make_batch(tmp_path / "a", n=12, offset=0)
    b = make_batch(tmp_path / "b", n=12, offset=8)  # 4 speeches in both folders
    db = tmp_path / "shared.db"
    procs = [subprocess.Popen(ingest_cmd(f, db, workers=1) + ["--format", "json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for f in (a, b)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert json.loads(out)["failed"] == 0
    check_db(db)
    got = per_speech(db)
    assert len(got) == 20  # speech-000 … speech-019, the shared four once
    assert got == clean
    totals = [json.loads(o) for o, _ in outs]
    assert sum(t["added"] for t in totals) == 20 and sum(t["unchanged"] for t in totals) == 4


def test_queries_run_during_an_ingest(tmp_path):
    folder = make_batch(tmp_path / "in", n=20)
    db = tmp_path / "busy.db"
    Store(db).close()  # schema in place before the writer starts
    proc = subprocess.Popen(ingest_cmd(folder, db, workers=2), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen, queries = [], 0
    try:
        while proc.poll() is None:
            s = Store(db, frames=False, timeout=5)
            n = s.conn.execute("SELECT count(*) FROM speeches").fetchone()[0]
            s.tasks(unit="发改", limit=20)
            s.search("考核", limit=5)
            s.metrics(indicator="固定资产投资")
            s.close()
            seen.append(n)
            queries += 1
            time.sleep(0.05)
    finally:
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert queries >= 3 and seen == sorted(seen)  # never an error, never a count going back
    r = subprocess.run([SPEECHMINER, "tasks", "--unit", "发改", "--db", str(db), "--format", "json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and len(json.loads(r.stdout)) > 0


def test_worker_pool_after_opencc_has_run_in_the_parent(tmp_path):
    """OpenCC converts on a Rust thread pool; a plain fork after that used to hang the first worker forever."""
    folder = make_batch(tmp_path / "in", n=4)
    script = tmp_path / "run.py"
    script.write_text(
        "import sys\n"
        "from pathlib import Path\n"
        "from pipeline import normalize\n"
        "from pipeline.store import Store\n"
        "if __name__ == '__main__':\n"
        "    normalize.normalize_text('發展和改革局要抓緊推進。' * 500)\n"
        "    r = Store(Path(sys.argv[2]), frames=False).ingest([Path(sys.argv[1])], progress=False, workers=2)\n"
        "    print(len(r.added))\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(folder), str(tmp_path / "s.db")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "4"


def test_workers_default_to_the_core_count_and_store_the_same(tmp_path, batch):
    folder, clean = batch
    assert default_workers() == (os.cpu_count() or 1)
    help_text = CliRunner().invoke(main, ["ingest", "--help"]).output
    assert "number of cores" in help_text
    db = tmp_path / "default.db"
    r = CliRunner().invoke(main, ["ingest", str(folder), "--db", str(db), "-q"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert per_speech(db) == clean


# ---------------------------------------------------------------- cluster path


def test_shards_and_merge_without_ray(tmp_path, batch):
    folder, clean = batch
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "scan.txt").write_bytes(b"%PDF-1.4\n")
    shards = write_shards([folder, bad], tmp_path / "shards", per_shard=8)
    assert [s.name for s in shards] == ["shard-00000.jsonl", "shard-00001.jsonl", "shard-00002.jsonl"]
    (tmp_path / "shards" / "shard-00003.jsonl").write_text('{"speech": {"id": "x"}\n', encoding="utf-8")  # cut short
    db = tmp_path / "merged.db"
    r = CliRunner().invoke(main, ["merge", str(tmp_path / "shards"), "--db", str(db), "--format", "json"],
                           catch_exceptions=False)
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["added"] == 20 and out["failed"] == 2 and out["shards"] == 4
    reasons = {Path(f["file"]).name.split(":")[0]: f["reason"] for f in out["failures"]}
    assert "PDF" in reasons["scan.txt"] and "broken shard line" in reasons["shard-00003.jsonl"]
    check_db(db)
    assert per_speech(db) == clean
    again = CliRunner().invoke(main, ["merge", *map(str, shards), "--db", str(db), "--format", "json"])
    assert json.loads(again.stdout)["unchanged"] == 20


def test_read_shard_accepts_ray_record_wrapping(tmp_path, batch):
    folder, _ = batch
    plain = write_shards([folder / "speech-000.txt"], tmp_path / "s")[0]
    line = plain.read_text(encoding="utf-8").strip()
    wrapped = tmp_path / "ray.jsonl"
    wrapped.write_text(json.dumps({"record": line}) + "\n", encoding="utf-8")
    (name, path, rows), = list(read_shard(wrapped))
    assert name.endswith("speech-000.txt") and rows["speech"]["path"] == path and rows["tasks"]


def test_ray_data_on_a_local_instance_with_two_workers(tmp_path, batch):
    """`make test` installs the [ray] extra: under CI (CI=true) a missing Ray is a failure, not a skip."""
    if os.environ.get("CI"):
        import ray  # noqa: F401
    else:
        pytest.importorskip("ray", reason="Ray is not installed (pip install 'speechminer[ray]')")
    from pipeline.ray_runner import run_ray

    folder, clean = batch
    shards = run_ray([folder], tmp_path / "ray-shards", workers=2, batch_size=4)
    assert shards and all(s.suffix == ".jsonl" for s in shards)
    db = tmp_path / "ray.db"
    res = Store(db).merge(shards)
    assert len(res.added) == 20 and not res.failed
    check_db(db)
    assert per_speech(db) == clean
