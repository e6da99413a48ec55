"""The README's Python API example runs as written."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_block(heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_python_api_example_runs_as_written(tmp_path):
    code = readme_block("Python API")
    (tmp_path / "corpus").symlink_to(ROOT / "corpus")  # the README's relative paths, in a scratch root
    (tmp_path / "outputs").mkdir()
    (tmp_path / "example.py").write_text(code, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=240, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"^\d+ metrics, \d+ targets, \d+ tasks$", out, re.M)
    assert "named 县发改局要牵头，会同县财政局 [('县发改局', 'lead'), ('县财政局', 'support')] 6月底前" in out
    assert (tmp_path / "outputs" / "speeches.db").stat().st_size > 0
