# Two commands: `make run` (the default workflow target) and `make test` (the suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
JOBS ?= 4

.PHONY: run readme test lint benchmark gpu clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $(VENV)/.runtime $@

# GPU chips (cuda, tensorrt): onnxruntime-gpu in place of onnxruntime, plus TensorRT
$(VENV)/.gpu: requirements-gpu.txt $(VENV)/.runtime
	$(BIN)/python -m pip uninstall -q -y onnxruntime
	$(BIN)/python -m pip install -q -r requirements-gpu.txt
	touch $@

gpu: $(VENV)/.gpu

# the main target on the embedded default config (config/config.yaml)
run: $(VENV)/.runtime
	$(BIN)/snakemake -j$(JOBS) results/tables/perf.csv

# every table and image grid, written into README.md between its markers
readme: $(VENV)/.runtime
	$(BIN)/snakemake -j$(JOBS) readme

test: $(VENV)/.dev
	$(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check .
	$(BIN)/snakemake --lint

# the harness's own benchmark (overhead, ONNX Runtime vs PyTorch eager, % of GEMM peak); prints figures
benchmark: $(VENV)/.runtime
	$(BIN)/python scripts/benchmark_harness.py

clean:
	rm -rf results resources .snakemake
