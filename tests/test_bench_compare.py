"""benchmarks/compare.py: another version of the code checked out beside this tree, both
pipelines timed slice by slice in their own processes, the worktree removed after."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the repository's history")
def test_compare_times_both_versions_and_leaves_no_worktree():
    before = _git("worktree", "list")
    head = _git("rev-parse", "--short", "HEAD").strip()
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), "HEAD", "--mb", "0.1",
                          "--slices", "2"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = {line.split()[0] if not line.startswith("this tree") else "this tree": line
            for line in out.stdout.splitlines()[2:4]}
    assert set(rows) == {"this tree", head}
    for line in rows.values():
        ratio = float(line.split()[-4])  # jieba/extract: both versions ran both
        assert 0.05 < ratio < 20
    assert "on the same slice: median" in out.stdout
    assert _git("worktree", "list") == before


def test_compare_names_a_revision_it_cannot_find():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "compare.py"), "no-such-revision-0000"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "not a revision of this repository: no-such-revision-0000" in out.stderr
