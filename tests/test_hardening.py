"""Issue 19, round 2 of hardening: other programs' databases, a held write lock, special files,
orphaned workers, the edges of every argument, bad SQL at the web explorer, lone surrogates and
text that names a file. Each test drives the real CLI (a process, or click's runner in this
process where a module constant is shortened) or the public API."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeline as sm
from pipeline import db as db_mod
from pipeline import normalize as norm
from pipeline import store as store_mod
from pipeline.cli import main
from pipeline.store import Store

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT / "corpus").glob("*.txt"))
SPEECHMINER = str(Path(sys.executable).with_name("speechminer"))
# written for these tests in the genre's style
SPEECH = ("在全县重点项目推进会上的讲话\n同志们：\n一、明确目标\n全县固定资产投资确保增长10%以上。\n"
          "二、压实责任\n县发改局要牵头，会同县财政局，于6月底前完成专项债券项目申报。\n"
          "县住建局要抓紧推进老旧小区改造，9月底前全面完工。\n")


def cli(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kw)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def speeches(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("speeches")
    (d / "a.txt").write_text(SPEECH, encoding="utf-8")
    (d / "b.txt").write_text(SPEECH.replace("专项债券", "重点项目").replace("10%", "12%"), encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def store_db(tmp_path_factory, speeches) -> Path:
    path = tmp_path_factory.mktemp("db") / "s.db"
    with Store(path) as s:
        assert len(s.ingest([speeches], progress=False).added) == 2
    return path


# ---------------------------------------------------------------- 2. other programs' databases


def browser_history(path: Path) -> Path:
    """An SQLite file shaped like a browser's history (rollback journal, its own tables)."""
    c = sqlite3.connect(path)
    c.executescript("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT, title TEXT, visit_count INTEGER);"
                    "CREATE TABLE moz_historyvisits (id INTEGER PRIMARY KEY, place_id INTEGER, visit_date INTEGER);")
    c.executemany("INSERT INTO moz_places (url, title, visit_count) VALUES (?, ?, ?)",
                  [(f"https://example.org/{i}", f"page {i}", i % 7) for i in range(500)])
    c.commit()
    c.close()
    return path


def todo_app(path: Path) -> Path:
    """A to-do app's database with a `tasks` table of its own."""
    c = sqlite3.connect(path)
    c.executescript("CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT, done INTEGER);"
                    "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL);"
                    "INSERT INTO tasks (title, done) VALUES ('buy milk', 0), ('call the county office', 1);"
                    "INSERT INTO schema_version VALUES (7, '2024-01-01');")
    c.commit()
    c.close()
    return path


@pytest.mark.parametrize("make", [browser_history, todo_app])
def test_query_commands_refuse_another_program_s_database_and_leave_it_untouched(tmp_path, make):
    path = make(tmp_path / "other.sqlite")
    before = sha(path)
    for args in (["tasks", "--unit", "发改"], ["targets"], ["metrics", "-i", "固定资产投资"], ["search", "考核"],
                 ["speeches"], ["units"], ["doctor"], ["export", "tasks"], ["diff", "a", "b"]):
        r = cli(*args, "--db", path)
        assert r.exit_code == 2, (args, r.output)
        assert "not a speechminer database" in r.stderr and "unchanged" in r.stderr, args
    r = cli("serve", "--db", path)
    assert r.exit_code == 2 and "not a speechminer database" in r.stderr
    assert sha(path) == before
    assert not Path(str(path) + "-wal").exists() and not Path(str(path) + "-shm").exists()
    c = sqlite3.connect(path)
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL


@pytest.mark.parametrize("make", [browser_history, todo_app])
def test_ingest_and_merge_refuse_another_program_s_database(tmp_path, make, speeches):
    path = make(tmp_path / "other.sqlite")
    before = sha(path)
    r = cli("ingest", speeches, "--db", path, "-j", "1")
    assert r.exit_code == 2 and "not a speechminer database" in r.stderr
    shards = tmp_path / "shards"
    shards.mkdir()
    r = cli("merge", shards, "--db", path)
    assert r.exit_code == 2 and "not a speechminer database" in r.stderr
    with pytest.raises(db_mod.NotSpeechminerDatabase):
        Store(path)
    assert sha(path) == before and not Path(str(path) + "-wal").exists()


def test_a_query_never_writes_to_a_speechminer_database(store_db):
    before = sha(store_db)
    for args in (["tasks", "--unit", "发改"], ["search", "项目"], ["doctor"], ["units"], ["speeches"]):
        r = cli(*args, "--db", store_db)
        assert r.exit_code == 0, (args, r.output)
    assert sha(store_db) == before


def test_a_file_that_is_not_sqlite_and_an_empty_database(tmp_path, speeches):
    text = tmp_path / "notes.db"
    text.write_text("these are my notes, not a database\n" * 50, encoding="utf-8")
    before = sha(text)
    for args in (["tasks", "--db", text], ["ingest", speeches, "--db", text, "-j", "1"]):
        r = cli(*args)
        assert r.exit_code == 2 and "not an SQLite database" in r.stderr
    assert sha(text) == before
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()  # a 0-byte file
    r = cli("tasks", "--db", empty)
    assert r.exit_code == 2 and "empty database" in r.stderr and empty.stat().st_size == 0
    r = cli("ingest", speeches, "--db", empty, "-j", "1", "--format", "json")  # an empty file is a new one
    assert r.exit_code == 0 and json.loads(r.stdout)["added"] == 2


def test_an_older_store_is_recognised_and_only_a_writer_migrates_it(tmp_path, speeches):
    path = tmp_path / "old.db"
    with Store(path) as s:
        s.ingest([speeches], progress=False)
        s.conn.execute("PRAGMA application_id = 0")  # as made before the id existed
        s.conn.execute("UPDATE schema_version SET version = 3")
        s.conn.commit()
    r = cli("tasks", "--unit", "发改", "--db", path)
    assert r.exit_code == 2 and "older than this speechminer" in r.stderr and "speechminer ingest" in r.stderr
    r = cli("ingest", speeches, "--db", path, "-j", "1", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["unchanged"] == 2
    c = sqlite3.connect(path)
    assert c.execute("PRAGMA application_id").fetchone()[0] == db_mod.APPLICATION_ID
    assert cli("tasks", "--unit", "发改", "--db", path).exit_code == 0


# ---------------------------------------------------------------- 3. a held write lock

HOLDER = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
sys.stdin.readline()
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")
"""


def hold_lock(db: Path, seconds: float) -> subprocess.Popen:
    """A process that takes the write lock (BEGIN IMMEDIATE) when told, and keeps it `seconds`."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(seconds)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    return proc


def take(proc: subprocess.Popen) -> None:
    proc.stdin.write("go\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "locked"


def test_ingest_waits_for_a_held_lock_with_a_message_and_then_stores(tmp_path, speeches):
    db = tmp_path / "s.db"
    Store(db).close()
    holder = hold_lock(db, 6)  # longer than the ingest takes to start: it must wait (a wait under 1 s is silent)
    try:
        take(holder)
        t0 = time.monotonic()
        r = subprocess.run([SPEECHMINER, "ingest", speeches, "--db", db, "-j", "1", "-q", "--format", "json"],
                           capture_output=True, text=True, timeout=120)
        waited = time.monotonic() - t0
    finally:
        holder.wait(timeout=30)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["added"] == 2
    assert "waiting" in r.stderr and "write lock" in r.stderr and f"process {holder.pid}" in r.stderr
    assert waited >= 5  # it did wait for the holder


def test_ingest_gives_up_on_a_lock_held_too_long_naming_it_and_keeping_what_was_stored(tmp_path, speeches):
    db = tmp_path / "s.db"
    r = cli("ingest", speeches / "a.txt", "--db", db, "-j", "1")
    assert r.exit_code == 0
    holder = hold_lock(db, 30)
    try:
        take(holder)
        r = subprocess.run([SPEECHMINER, "ingest", speeches, "--db", db, "-j", "1", "-q", "--lock-timeout", "2"],
                           capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "OperationalError" not in r.stderr
    assert "gave up after 2 s waiting for the database's write lock" in r.stderr
    assert f"held by process {holder.pid}" in r.stderr and "run the same command again" in r.stderr
    c = sqlite3.connect(db)
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [r[0] for r in c.execute("SELECT doc FROM speeches")] == ["a"]


def test_a_batch_committed_before_the_lock_was_taken_stays_stored(tmp_path, speeches, monkeypatch):
    """In one ingest: the first batch commits, then another process takes the lock; the next batch
    waits, gives up, and the error carries the summary of what was stored."""
    monkeypatch.setattr(store_mod, "BATCH_SPEECHES", 1)
    db = tmp_path / "s.db"
    s = Store(db, lock_timeout=1.5, on_lock_wait=lambda waited, holder: waits.append(holder))
    waits: list = []
    holder = hold_lock(db, 30)

    def on_event(status, name, detail):
        if status == "added":
            take(holder)  # the first speech is committed: now the lock goes to the other process

    try:
        with pytest.raises(db_mod.DatabaseLocked) as e:
            s.ingest([speeches], progress=False, workers=1, on_event=on_event)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert [Path(p).name for p in e.value.summary.added] == ["a.txt"]
    assert waits and waits[0] == f"process {holder.pid} (python3)" or waits[0].startswith(f"process {holder.pid}")
    assert s.conn.execute("SELECT doc FROM speeches").fetchall() == [("a",)]


# ---------------------------------------------------------------- 6. special files


def test_devices_are_refused_without_reading(tmp_path):
    for args in (["extract", "/dev/zero"], ["ingest", "/dev/zero", "--db", tmp_path / "s.db", "-j", "1"],
                 ["normalize", "/dev/zero"], ["tasks", "/dev/urandom"]):
        t0 = time.monotonic()
        r = subprocess.run([SPEECHMINER, *map(str, args)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 1, (args, r.stderr)
        assert "not a regular file or a pipe (a character device)" in r.stderr, args
        assert time.monotonic() - t0 < 30


def test_a_fifo_with_no_writer_is_refused_after_a_bounded_wait(tmp_path, monkeypatch):
    fifo = tmp_path / "speech.fifo"
    os.mkfifo(fifo)
    monkeypatch.setattr(norm, "PIPE_TIMEOUT", 0.5)
    t0 = time.monotonic()
    with pytest.raises(norm.InputError, match="sent nothing"):
        norm.read_input(fifo)
    r = cli("ingest", fifo, "--db", tmp_path / "s.db", "-j", "1", "--format", "json")
    assert r.exit_code == 1 and "sent nothing" in json.loads(r.stdout)["failures"][0]["reason"]
    assert time.monotonic() - t0 < 20


def test_a_fifo_is_read_once_and_its_size_checked_while_reading(tmp_path, monkeypatch):
    fifo = tmp_path / "speech.fifo"
    os.mkfifo(fifo)

    def write(data: bytes) -> threading.Thread:
        def run():
            try:
                with open(fifo, "wb") as fh:
                    fh.write(data)
            except BrokenPipeError:  # the reader stopped at the size limit, as it should
                pass
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t

    t = write(SPEECH.encode("utf-8"))
    assert norm.read_input(fifo) == SPEECH.encode("utf-8")
    t.join(5)
    monkeypatch.setattr(norm, "MAX_BYTES", 4096)
    t = write(b"x" * 100_000)  # more than the limit: refused once the limit is passed, not read to the end
    with pytest.raises(norm.InputError, match="too large"):
        norm.read_input(fifo)
    t.join(5)


def test_ingest_and_extract_of_a_process_substitution(tmp_path, speeches):
    db = tmp_path / "s.db"

    def bash(command: str) -> str:
        r = subprocess.run(["bash", "-c", f'"{SPEECHMINER}" {command}'], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout

    assert json.loads(bash(f'ingest <(cat "{speeches / "a.txt"}") --db "{db}" -j 1 -q --format json'))["added"] == 1
    piped = [json.loads(line) for line in bash(f'extract <(cat "{speeches / "a.txt"}") --format jsonl').splitlines()]
    direct = subprocess.run([SPEECHMINER, "extract", speeches / "a.txt", "--format", "jsonl"], capture_output=True,
                            text=True, timeout=60).stdout.splitlines()
    strip = lambda rs: [{k: v for k, v in r.items() if k != "doc"} for r in rs]  # noqa: E731
    assert strip(piped) == strip([json.loads(line) for line in direct]) and piped
    c = sqlite3.connect(db)
    (path, tasks), = c.execute("SELECT s.path, (SELECT count(*) FROM tasks t WHERE t.speech_id = s.id) FROM speeches s")
    assert path is None and tasks >= 2  # stored whole, without the pipe's meaningless name


# ---------------------------------------------------------------- 7. orphaned workers


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _descendants(pid: int) -> list[int]:
    out = []
    for child in _children(pid):
        out += [child, *_descendants(child)]
    return out


# a notebook-like parent: OpenCC has run (its thread pool makes the process multi-threaded), so the
# pool's workers come from a fork server and their parent is that server, not this process
NOTEBOOK = """
import sys
from pathlib import Path
from pipeline import normalize
from pipeline.store import Store
if __name__ == "__main__":
    normalize.normalize_text("發展和改革局要抓緊推進。" * 500)
    Store(Path(sys.argv[2]), frames=False).ingest([Path(sys.argv[1])], progress=False, workers=2)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", ["cli", "fork server"])
def test_workers_exit_when_the_ingest_process_is_killed(tmp_path, how):
    from test_parallel import make_batch

    folder = make_batch(tmp_path / "in", n=24)
    if how == "cli":  # a single-threaded process: forked workers
        cmd, expect = [SPEECHMINER, "ingest", str(folder), "--db", str(tmp_path / "s.db"), "-j", "2", "-q"], 2
    else:  # resource tracker, fork server, two workers
        cmd, expect = [sys.executable, "-c", NOTEBOOK, str(folder), str(tmp_path / "s.db")], 4
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    workers: list[int] = []
    try:
        end = time.monotonic() + 60
        while len(workers) < expect and time.monotonic() < end and proc.poll() is None:
            workers = _descendants(proc.pid)
            time.sleep(0.05)
        assert len(workers) == expect, f"the ingest never started its workers: {workers}"
        time.sleep(0.5)  # both busy extracting
        os.kill(proc.pid, signal.SIGKILL)  # the parent only: the workers are not told
        proc.wait()
        t0 = time.monotonic()
        while any(_alive(w) for w in workers) and time.monotonic() - t0 < 15:
            time.sleep(0.05)
        gone_after = time.monotonic() - t0
        assert not any(_alive(w) for w in workers), "workers outlived their parent"
        assert gone_after < 5
    finally:
        for w in workers:
            try:
                os.kill(w, signal.SIGKILL)
            except OSError:
                pass


# ---------------------------------------------------------------- 8. the edges of every argument


def test_a_path_name_over_255_bytes(tmp_path, store_db):
    long = tmp_path / ("讲" * 100 + ".txt")  # 300 bytes in UTF-8
    for args in (["extract", long], ["ingest", long, "--db", tmp_path / "s.db", "-j", "1"], ["tasks", long],
                 ["normalize", long], ["show", long]):
        r = cli(*args)
        assert r.exit_code == 1, (args, r.output)
        assert "File name too long" in r.stderr and "Traceback" not in r.output, args
    r = cli("diff", long, "a", "--db", store_db)
    assert r.exit_code == 2 and "no stored speech" in r.stderr


def test_text_arguments_are_bounded_and_blank_ones_refused(store_db, speeches):
    huge = "发改" * 25_000  # 50,000 characters
    for args in (["tasks", "--unit", huge], ["targets", "--unit", huge], ["targets", "-i", huge],
                 ["metrics", "-i", huge], ["tasks", "--locality", huge], ["tasks", speeches, "--unit", huge]):
        r = cli(*args, "--db", store_db)
        assert r.exit_code == 2 and "too long" in r.stderr, (args[:2], r.stderr[-300:])
    for args in (["tasks", "--unit", " "], ["targets", "--indicator", " "], ["metrics", "--indicator", "\u3000"],
                 ["tasks", "--unit", ""], ["tasks", speeches, "--unit", " "]):
        r = cli(*args, "--db", store_db)
        assert r.exit_code == 2 and "is empty" in r.stderr, (args, r.output)
    r = cli("search", " ".join(f"词{i}" for i in range(997)), "--db", store_db)
    assert r.exit_code == 2 and "search text is too long" in r.stderr
    r = cli("search", " ".join(f"词{i % 10}" for i in range(40)), "--db", store_db)  # 40 words in 119 characters
    assert r.exit_code == 2 and "too many words to search for (40; at most 32)" in r.stderr
    r = cli("tasks", "--unit", "发改\udcff", "--db", store_db)
    assert r.exit_code == 2 and "not valid text" in r.stderr


def test_limits(store_db):
    every = json.loads(cli("tasks", "--db", store_db, "--format", "json").stdout)
    assert len(every) >= 4
    for limit in (0, -1):
        for cmd in (["tasks"], ["search", "项目"]):
            r = cli(*cmd, "--limit", limit, "--db", store_db)
            assert r.exit_code == 2 and "--limit" in r.stderr, (cmd, limit)
    r = cli("tasks", "--limit", 2**70, "--db", store_db, "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout) == every
    r = cli("search", "项目", "--limit", 2**70, "--db", store_db, "--format", "json")
    assert r.exit_code == 0 and len(json.loads(r.stdout)) >= 2
    assert len(json.loads(cli("tasks", "--limit", 1, "--db", store_db, "--format", "json").stdout)) == 1
    with pytest.raises(ValueError, match="1 or more"):
        Store(store_db, readonly=True).tasks(limit=0)


def test_an_empty_folder_or_one_of_broken_links_is_reported(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    links = tmp_path / "links"
    links.mkdir()
    for i in range(3):
        (links / f"s{i}.txt").symlink_to(tmp_path / f"gone-{i}.txt")
    r = cli("extract", empty)
    assert r.exit_code == 1 and "no text files in this folder" in r.stderr
    r = cli("ingest", empty, links, "--db", tmp_path / "s.db", "-j", "1", "--format", "json")
    assert r.exit_code == 1
    reasons = {Path(f["file"]).name: f["reason"] for f in json.loads(r.stdout)["failures"]}
    assert "no text files" in reasons["empty"] and "only broken links (3)" in reasons["links"]
    r = cli("tasks", links)
    assert r.exit_code == 1 and "broken links" in r.stderr


# ---------------------------------------------------------------- 9. bad SQL at the web explorer


def test_a_rejected_sql_query_is_logged_in_one_line(store_db, caplog, capfd):
    pytest.importorskip("datasette", reason="datasette not installed (pip install 'speechminer[web]')")
    import asyncio

    from pipeline import serve as web

    ds = web.build(store_db, views=False)
    refused = ["delete from tasks", "SELEC 1", "PRAGMA writable_schema = 1", "update speeches set title = 'x'"]
    failing = ["select 1; drop table tasks", "select * from nope"]  # a SELECT that SQLite refuses: Datasette's own line
    bad = refused + failing

    async def ask():
        await ds.invoke_startup()
        out = []
        for sql in bad:
            out.append(await ds.client.get(f"/{store_db.stem}", params={"sql": sql}))
        out.append(await ds.client.get(f"/{store_db.stem}.json", params={"sql": bad[0]}))
        out.append(await ds.client.get(f"/{store_db.stem}.json", params={"sql": "select count(*) AS n FROM speeches"}))
        return out

    capfd.readouterr()
    with caplog.at_level("WARNING", logger="speechminer.serve"):
        res = asyncio.run(ask())
    printed = capfd.readouterr()
    assert [r.status_code for r in res[:len(bad)]] == [400] * len(bad)
    assert "Invalid SQL" in res[0].text and "Statement must be a SELECT" in res[0].text  # Datasette's error page
    assert res[len(bad)].status_code == 400 and res[len(bad)].json()["ok"] is False
    assert res[-1].status_code == 200 and res[-1].json()["rows"] == [[2]]  # a good query still runs
    lines = [r for r in caplog.records if r.name == "speechminer.serve"]
    assert len(lines) == len(refused) + 1 and all("rejected ?sql= query" in r.getMessage() for r in lines)
    assert all("\n" not in r.getMessage() for r in lines)
    output = printed.out + printed.err
    assert "Traceback" not in output and "locals" not in output
    assert len([ln for ln in output.splitlines() if ln.strip()]) == len(failing)  # one line each


# ---------------------------------------------------------------- 10. lone surrogates, text that names a file


def test_lone_surrogates_give_cleaned_text_not_an_encoding_error():
    text = "县发改局要牵头\ud800，于6月底前完成项目申报。县财政局要配合做好资金保障\udfff。"
    for r in (sm.extract(text), sm.extract_text(text)):
        assert r.tasks and r.tasks[0].units[0].name == "县发改局"
        r.doc.text.encode("utf-8")  # no surrogate left in the clean text
        assert any("surrogate" in w for w in r.doc.warnings)
        json.dumps(r.to_dicts(), ensure_ascii=False).encode("utf-8")  # every record is valid UTF-8
    with pytest.raises(sm.InputError):
        sm.extract_text("\ud800" * 10)


def test_extract_text_never_opens_a_file_and_extract_file_always_does(tmp_path):
    speech = tmp_path / "speech.txt"
    speech.write_text(SPEECH, encoding="utf-8")
    assert sm.extract(str(speech)).tasks  # the compatible behaviour: a one-line name of a file is a path
    with pytest.raises(sm.InputError, match="no Chinese text"):
        sm.extract_text(str(speech))  # the same string as text: it holds no speech
    assert len(sm.extract_file(speech).tasks) == len(sm.extract(str(speech)).tasks)
    with pytest.raises(sm.InputError, match="file not found"):
        sm.extract_file(tmp_path / "县发改局要牵头完成申报.txt")
    with pytest.raises(TypeError):
        sm.extract_text(speech)  # a Path is not text
