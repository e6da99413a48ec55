# Two commands do everything on a fresh machine:
#   make run    create .venv if missing, install, ingest corpus/ into outputs/speeches.db, show the 发改 tasks,
#               then what changed between two work reports of one place and which of its targets came true
#   make test   create .venv if missing, install with the test and Ray extras, run the whole suite
#               (the Ray extra: the cluster path of tests/test_parallel.py runs on every change)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench bench-compare bench-scale clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,ray]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/speechminer ingest corpus/
	$(BIN)/speechminer tasks --unit 发改
	$(BIN)/speechminer diff r051 r050 --status changed --status new
	$(BIN)/speechminer track --locality 海拉尔区 --status met --status missed

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/store_bench.py

# this tree's pipeline against another version's, alternating slice by slice: make bench-compare REV=d31a435
bench-compare: $(STAMP)
	$(BIN)/python benchmarks/compare.py $(or $(REV),$(error give REV=<commit> to compare with))

# the query figures at 100,000 speeches (about 20 minutes and 14 GB of temporary disk)
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/store_bench.py -n 100000 --runs 5

clean:
	rm -rf $(VENV) outputs/*.db
