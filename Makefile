# Two commands: `make run` (the default workflow target) and `make test` (the suite); `make test-fast`
# runs the unit tests only (tests/unit), `make test-cluster` the workflow on a one-node SLURM started on
# this machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
JOBS ?= 4
# bytecode is written on first import (uv does not compile): a cold run imports a fraction of the venv's
# modules, so compiling them all up front costs more than it saves
# (docs/benchmarking.md#figures-behind-design-choices); a PYTHONDONTWRITEBYTECODE in the caller's
# environment would make every job compile its imports again
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run readme test test-fast test-cluster lint config-doc columns-doc benchmark mutation gpu clean

# uv installs the pinned wheels (hard links into its cache once it holds them), a fresh venv in a
# fraction of pip's time (docs/benchmarking.md#figures-behind-design-choices). uv does not read pip's
# configuration, so pip's find-links (where a local wheel of the CPU torch build may lie) are passed
# on; set UV_INDEX_URL for a private index. The base Python's pip (22.3 or newer) installs uv into
# the venv.
UV_VERSION := 0.13.9
PIP_VERSION := 26.3
FIND_LINKS = $(or $(PIP_FIND_LINKS),$(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null))
INSTALL = $(BIN)/uv pip install -q --python $(BIN)/python $(foreach d,$(FIND_LINKS),--find-links $(d))

$(BIN)/uv:
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install -q --no-compile uv==$(UV_VERSION)

$(VENV)/.runtime: requirements.txt | $(BIN)/uv
	$(INSTALL) pip==$(PIP_VERSION) -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements-cluster.txt requirements.txt | $(BIN)/uv
	$(INSTALL) pip==$(PIP_VERSION) -r requirements-dev.txt
	touch $(VENV)/.runtime $@

# GPU chips (cuda, tensorrt): onnxruntime-gpu in place of onnxruntime, plus TensorRT
$(VENV)/.gpu: requirements-gpu.txt $(VENV)/.runtime
	$(BIN)/uv pip uninstall -q --python $(BIN)/python onnxruntime
	$(INSTALL) -r requirements-gpu.txt
	touch $@

gpu: $(VENV)/.gpu

# the main target on the embedded default config (config/config.yaml)
run: $(VENV)/.runtime
	$(BIN)/snakemake -j$(JOBS) results/tables/perf.csv

# every table and image grid, written into README.md between its markers
readme: $(VENV)/.runtime
	$(BIN)/snakemake -j$(JOBS) readme

# config/README.md from config/schema.yaml (every key's type, default and description); the suite and
# `make lint` fail when the two differ
config-doc: $(VENV)/.runtime
	$(BIN)/python tools/config_doc.py

# docs/columns.md from the column spec (scripts/ganinfer/report/columns.py: every result table's columns, their
# formats and meanings); the suite and `make lint` fail when the two differ
columns-doc: $(VENV)/.runtime
	$(BIN)/python tools/columns_doc.py

test: $(VENV)/.dev
	$(BIN)/python -m pytest

# the loop while coding: tests/unit, the library in process without Snakemake (docs/testing.md: its
# time on the 2-core Xeon VM, the other kinds and how to run one)
test-fast: $(VENV)/.dev
	$(BIN)/python -m pytest tests/unit

# root only: installs slurmctld, slurmd, slurm-client and munge when missing, starts them
# (tests/cluster/slurm_local.sh), runs the workflow through profiles/slurm-npu, stops them;
# -rP prints the sbatch lines and SLURM's job records
test-cluster: $(VENV)/.dev
	SLURM_LOCAL_TEST=1 $(BIN)/python -m pytest -rP tests/cluster/test_cluster.py

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check .
	$(BIN)/snakemake --lint
	$(BIN)/python tools/config_doc.py --check
	$(BIN)/python tools/columns_doc.py --check

# the harness's own benchmark (overhead, ONNX Runtime vs PyTorch eager, % of GEMM peak), then openvino
# vs cpu side by side, then the BigGAN reference stage (batch 1 and accuracy.reference_batch) vs ONNX
# Runtime's accuracy run with the full-scale estimate (ABBA pairs); prints figures
benchmark: $(VENV)/.runtime
	$(BIN)/python benchmarks/harness.py
	$(BIN)/python benchmarks/openvino_chip.py
	$(BIN)/python benchmarks/reference_stage.py

# mutation score of the fast tests over the numeric and I/O modules (mutmut, one worker; not part of
# `make test`); prints killed / survived / total and every mutant not killed; see docs/mutation.md
mutation: $(VENV)/.dev
	$(BIN)/python tools/mutation.py

clean:
	rm -rf results resources .snakemake .mutation
