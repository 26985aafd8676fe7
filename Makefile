# edgestack.glance_ceph: one entry point for users, developers and CI.
#   make demo   install everything, bring the lab up, run the main job on it
#   make test   install everything, then run every test layer
SHELL := /bin/bash
PYTHON ?= python3
COLL := build/collections/ansible_collections/edgestack/glance_ceph
LAB_INV = $(foreach s,$(shell $(PYTHON) lab/lab.py sites 2>/dev/null),-i inventories/lab/$(s))
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PYTHONPATH := $(CURDIR)/build/collections
export ANSIBLE_FORCE_COLOR := 0

.PHONY: demo test deps deps-debian deps-python link lab-up lab-down lab-status \
        unit sanity lint integration molecule build changelog

demo: deps lab-up
	@bash scripts/demo.sh

test: deps
	@bash scripts/test.sh

# The Debian packages (the lab's services, for the system Python) and the
# Python packages (for the Python that runs Ansible and the tests) do not
# depend on each other: they install side by side.
deps:
	@$(MAKE) --no-print-directory -j2 deps-debian deps-python
	@$(MAKE) --no-print-directory link

deps-debian:
	@bash scripts/install-debian.sh

deps-python:
	$(PYTHON) -m pip install -q --disable-pip-version-check --no-compile -r requirements.txt

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
	cd molecule/.. && molecule test --all

build:
	ansible-galaxy collection build --force --output-path build/

changelog:
	antsibull-changelog lint
