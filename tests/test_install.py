"""A real install: the wheel built from this tree, installed into a fresh virtual environment,
runs `speechminer extract` from a folder outside the source tree and gives the records the
editable install gives.

The fresh environment gets the wheel alone (`pip install --no-deps --no-index`); the wheel's
dependencies (jieba, OpenCC, pandas …) come from the running environment through a `.pth` line
naming its site-packages. Python does not read the `.pth` files of a folder added that way, so
the editable install's import hook there never loads: `pipeline` is imported from the new
environment's site-packages, which the test checks, and its rules from the wheel's copy.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS_FILE = next((ROOT / "corpus").glob("001_*.txt"))
EDITABLE_CLI = str(Path(sys.executable).with_name("speechminer"))


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SPEECHMINER_RULES", "VIRTUAL_ENV")}
    env.update({"XDG_CACHE_HOME": str(tmp / "cache"), "HOME": str(tmp / "home"), **extra})
    return env


def _run(cmd: list, cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{cmd}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    (tmp / "home").mkdir()
    env = _env(tmp)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist", ROOT], tmp, env)
    wheel = next((tmp / "dist").glob("speechminer-*.whl"))
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp, env)
    py = venv / "bin" / "python"
    site = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp, env).stdout.strip())
    (site / "running_env_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", py, "install", "-q", "--no-deps", "--no-index", wheel], tmp, env)
    return tmp, venv, site, env


def test_the_installed_package_is_the_wheel_with_its_rules(installed):
    tmp, venv, site, env = installed
    out = _run([venv / "bin" / "python", "-c",
                "import pipeline, pipeline.lexicon as l; print(pipeline.__file__); print(l.RULES); "
                "print(len(l.units()['entries']))"], tmp, env).stdout.split("\n")
    assert Path(out[0]).is_relative_to(site) and Path(out[1]) == site / "pipeline" / "rules"
    assert {p.name for p in (site / "pipeline" / "rules").glob("*.yaml")} == {p.name for p in (ROOT / "rules").glob("*.yaml")}
    assert int(out[2]) > 100  # the unit lexicon was read from the installed copy


def test_extract_from_outside_the_tree_gives_the_editable_install_s_records(installed):
    tmp, venv, site, env = installed
    work = tmp / "elsewhere"
    work.mkdir()
    (work / "speech.txt").write_bytes(CORPUS_FILE.read_bytes())
    before = _files(site / "pipeline")
    wheel = _run([venv / "bin" / "speechminer", "extract", "speech.txt", "--format", "jsonl"], work, env).stdout
    editable = _run([EDITABLE_CLI, "extract", "speech.txt", "--format", "jsonl"], work, _env(tmp)).stdout
    records = [json.loads(line) for line in wheel.splitlines()]
    assert len(records) >= 20 and {r["type"] for r in records} == {"metric", "target", "task"}
    assert wheel == editable
    # the jieba user dictionary is generated into the cache, never into the installed package
    dict_path = Path(_run([venv / "bin" / "python", "-c", "from pipeline import lexicon; print(lexicon.jieba_userdict())"],
                          work, env).stdout.strip())
    assert dict_path.parent == tmp / "cache" / "speechminer" and dict_path.stat().st_size > 1000
    assert _files(site / "pipeline") == before


def test_speechminer_rules_still_overrides_the_installed_rules(installed):
    tmp, venv, site, env = installed
    rules = tmp / "my-rules"
    rules.mkdir()
    for f in (ROOT / "rules").glob("*.yaml"):
        (rules / f.name).write_bytes(f.read_bytes())
    out = _run([venv / "bin" / "python", "-c", "from pipeline import lexicon; print(lexicon.RULES)"], tmp,
               {**env, "SPEECHMINER_RULES": str(rules)}).stdout.strip()
    assert Path(out) == rules
