# Two commands matter: `make run` and `make test`. Everything else is a step they use.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MODEL_DIR := models/dialogpt-clinic-es
PHONE ?= +59170000001
GENERATED := protos/inference_pb2.py protos/inference_pb2_grpc.py
# protoc finds the mypy-protobuf plugins on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.DEFAULT_GOAL := help
.PHONY: help install protos model run test lint typecheck chat eval-nlu eval-dialog clean bench bench-nlu bench-inference bench-inference-memory bench-gateway measure-reply-gate eval-smalltalk emergency-model

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-24s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch is pinned and installed on its own with pip: a looser spec pulls GBs of CUDA wheels.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[inference,dev]'
	touch $@

install: $(VENV)/.installed ## create the venv and install the project with its tools

$(GENERATED) &: protos/inference.proto $(VENV)/.installed
	$(PY) -m grpc_tools.protoc -I. --python_out=. --grpc_python_out=. --mypy_out=. --mypy_grpc_out=. $<

protos: $(GENERATED) ## generate the gRPC code from protos/inference.proto

$(MODEL_DIR)/config.json: | $(VENV)/.installed
	$(PY) -m tools.training.offline_model --output $(MODEL_DIR)

model: $(MODEL_DIR)/config.json ## build the offline Spanish DialoGPT-format model (once)

run: install protos ## start everything (embedded Postgres/Redis unless DATABASE_URL/REDIS_URL are set)
	$(PY) -m devstack

chat: install ## talk to the running gateway as a patient (PHONE=+591...)
	$(PY) -m gateway.cli chat --phone '$(PHONE)'

lint: install protos ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install protos ## mypy --strict on our packages
	$(BIN)/mypy

test: lint typecheck ## lint, type-check and run the whole suite on real services, with branch coverage (floor: pyproject.toml)
	rm -f .coverage .coverage.*
	$(BIN)/pytest --cov --cov-report=term

bench: bench-nlu bench-inference bench-gateway ## every benchmark, each printing its table and ratios against baselines of the same run

bench-nlu: install ## understanding a normal message vs the costliest 4096-character ones we could build
	$(PY) -m bench.nlu_bench

bench-inference: install protos ## inference server vs sequential/static/bound baselines -> bench/RESULTS.md
	$(PY) -m bench.inference_bench

bench-gateway: install protos ## a turn's CPU, queries and latency under uvicorn (1 and 2 workers) vs a minimal FastAPI app -> bench/GATEWAY.md [BENCH_SECONDS= BENCH_LOADS= BENCH_WORKERS= ...]
	$(PY) -m bench.gateway_bench

bench-inference-memory: install protos ## bench-inference plus the server's RSS over 10,000 short requests
	$(PY) -m bench.inference_bench --memory-requests 10000

eval-nlu: install ## intent, entity accuracy, emergency recall (patterns + learned model) on the dev set and eval/ sets
	$(PY) -m tools.eval_nlu ../shared/eval/nlu_dev.jsonl eval/emergency.jsonl eval/emergency_heldout.jsonl eval/emergency_final.jsonl eval/emergency_third.jsonl eval/emergency_fourth.jsonl eval/emergency_fifth.jsonl tools/data/smalltalk_heldout_es.txt

eval-dialog: install protos ## replay eval/dialogs/*.yaml through /chat on real Postgres + Redis: how many reach their end state [DIALOGS=folder STRICT=1]
	$(PY) -m tools.eval_dialog $(or $(DIALOGS),eval/dialogs) $(if $(STRICT),--strict)

emergency-model: install ## retrain the learned emergency model (gateway/understanding/data/) after its data changed
	$(PY) -m tools.train_emergency_model

measure-reply-gate: install protos ## the reply gate's log-probability threshold, measured on eval/reply_fluency.jsonl [MODEL=dir or hub id]
	$(PY) -m tools.measure_reply_gate --model '$(or $(MODEL),$(MODEL_DIR))'

eval-smalltalk: install protos model ## what share of the offline model's small-talk replies the reply gate lets through [MODEL=dir or hub id]
	$(PY) -m tools.eval_smalltalk --model '$(or $(MODEL),$(MODEL_DIR))'

clean: ## remove the venv, generated code and local data (keeps models/)
	rm -rf $(VENV) .data $(GENERATED) protos/*_pb2*.pyi .mypy_cache .ruff_cache .pytest_cache

# The fault drill's size: patients making small talk, booking, on WhatsApp; seconds of load.
PATIENTS ?= 16
BOOKERS ?= 4
WHATSAPP ?= 4
DURATION ?= 150
GATEWAY_ENV ?=
.PHONY: chaos
chaos: install protos model deploy-tools ## the fault drill for real (nginx, 2 gateways, inference, Postgres, Redis; kills and restarts) -> bench/CHAOS.md [PATIENTS= BOOKERS= WHATSAPP= DURATION= GATEWAY_ENV='NAME=VALUE ...']
	$(PY) -m bench.chaos --patients $(PATIENTS) --bookers $(BOOKERS) --whatsapp $(WHATSAPP) --seconds $(DURATION) $(foreach e,$(GATEWAY_ENV),--gateway-env $(e))

.PHONY: test-e2e
test-e2e: install protos ## the n8n workflow for real: n8n (installed once into .cache/n8n), gateway, inference, fakes
	./deploy/n8n/install.sh
	$(BIN)/pytest -m e2e tests/e2e

.PHONY: backup restore deploy-tools deploy-check k8s-monitoring
backup: install ## pg_dump of MIGRATION_DATABASE_URL, else DATABASE_URL (default: the make run database) into backups/clinic-<UTC time>.dump
	$(PY) -m tools.backup dump

restore: install ## restore FILE=backups/clinic-<time>.dump into an empty database [MIGRATION_DATABASE_URL=...]
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/clinic-<time>.dump [MIGRATION_DATABASE_URL=...]" >&2; exit 2; }
	$(PY) -m tools.backup restore "$(FILE)"

k8s-monitoring: install ## regenerate deploy/k8s/monitoring (PrometheusRule, Alertmanager Secret, dashboard ConfigMap) from the compose stack's files
	$(PY) -m tools.k8s_monitoring

deploy-tools: ## install nginx, promtool, docker-compose and chromium for the deploy and browser checks (apt, where available)
	bash deploy/scripts/install-test-tools.sh

deploy-check: install protos deploy-tools ## check every file under deploy/: Dockerfiles, compose, nginx for real, k8s, alerts
	$(BIN)/pytest tests/deploy
