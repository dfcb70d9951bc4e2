# The two commands of the README: `make site` and `make test`. Both start with `make setup`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

INVENTORY ?= inventories/local
PLAYBOOK_ARGS ?=
PYTEST_ARGS ?=
VENV_BIN := $(CURDIR)/.venv/bin
export PATH := $(VENV_BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PYTHONDONTWRITEBYTECODE := 1

# Every tier `make test` runs, in order.
TIERS := lint unit preflight sync dashboards manifests ha backup migration cloud images nodes local

.PHONY: help setup site test $(TIERS) bench lock build clean

help:
	@echo "make site   set up, then run the site playbook on INVENTORY (default: $(INVENTORY))"
	@echo "make test   set up, then run every test tier: $(TIERS)"
	@echo "make <tier> one tier; make bench runs the benchmarks; make build builds the collection tarball"

setup:
	@scripts/setup

site: setup
	ansible-playbook -i $(INVENTORY) playbooks/site.yml $(PLAYBOOK_ARGS)

test: setup
	@scripts/run-tiers $(TIERS)

lint: setup
	@scripts/lint

unit: setup
	@scripts/pytest-tier unit tests/unit sync_tool/tests/unit

preflight: setup
	@scripts/pytest-tier preflight tests/preflight

sync: setup
	@scripts/pytest-tier sync sync_tool/tests/integration

dashboards: setup
	@scripts/pytest-tier dashboards tests/dashboards

manifests: setup
	@scripts/pytest-tier manifests tests/manifests

ha: setup
	@scripts/pytest-tier ha tests/ha

backup: setup
	@scripts/pytest-tier backup tests/backup

migration: setup
	@scripts/pytest-tier migration tests/migration

cloud: setup
	@scripts/pytest-tier cloud tests/cloud

nodes: setup
	@scripts/pytest-tier nodes tests/nodes

local: setup
	@scripts/pytest-tier local tests/local

images: setup
	@scripts/pytest-tier images tests/images

bench: setup
	@for b in bench/*.py; do echo "== $$b"; python "$$b" || exit 1; done

build: setup
	ansible-galaxy collection build --force --output-path build/

# Regenerates the lock file from requirements/dev.txt in a throwaway virtualenv.
lock:
	rm -rf build/lock-venv && python3 -m venv build/lock-venv
	build/lock-venv/bin/pip install -q -r requirements/dev.txt
	{ sed -n '1,2p' requirements/constraints.txt; build/lock-venv/bin/pip freeze --all --exclude-editable \
	  | grep -v '^\(pip\|setuptools\|wheel\)=='; } > requirements/constraints.txt.new
	mv requirements/constraints.txt.new requirements/constraints.txt

clean:
	rm -rf build .collections .pytest_cache .ruff_cache
