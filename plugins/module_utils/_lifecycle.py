# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one lifecycle of the collection's modules: read, plan, apply, result.

A module subclasses ``Lifecycle`` and provides:

- ``read()``: the current state (always read, in check mode too);
- ``plan(current)``: a ``Plan``, built by a pure function of the module's
  module_utils (what unit tests exercise), or None for a module that only reads;
- ``apply(plan)``: the plan's actions (possibly none), each appended to ``self.done`` once done;
- ``result(current, plan)``: the module's own return values;
- ``partial()``: return values that a failure reports too.

A plan that ``needs`` something the host lacks is applied by no real run
(the caller provides it and runs the module again); check mode shows it whole.

``run()`` is the only place that consults check mode, and the only place
where an ``EdgestackModuleError`` becomes ``fail_json``. Secrets never go into
a plan: actions, before, after and diff carry key fingerprints at most, and
``hide()`` adds every key a module handles to the values Ansible masks.
"""

from __future__ import annotations


class EdgestackModuleError(Exception):
    """A failure, with details for the task result (never a secret)."""

    def __init__(self, msg, **details):
        super(EdgestackModuleError, self).__init__(msg)
        self.msg = msg
        self.details = dict((k, v) for k, v in details.items() if v is not None)

    def fail_kwargs(self):
        """Keyword arguments for ``AnsibleModule.fail_json``."""
        return dict(self.details, msg=self.msg)


class Plan(object):
    """The actions converging a resource, its state before and after, and the diff."""

    def __init__(self, actions=None, before=None, after=None, diff=None, warnings=None, needs=None):
        self.actions = actions if actions is not None else []
        # What the host lacks for the plan (commands to install): a real run applies nothing
        # until the caller provided it, check mode shows the whole plan.
        self.needs = needs if needs is not None else []
        self.before = before if before is not None else {}
        self.after = after if after is not None else {}
        self.diff = diff if diff is not None else []
        self.warnings = warnings if warnings is not None else []

    @property
    def changed(self):
        return bool(self.actions)

    @property
    def has_work(self):
        """Whether running the module would do or say anything: an action, a warning or a need."""
        return bool(self.actions or self.warnings or self.needs)


class Lifecycle(object):
    """Runs one module: read, pure plan, apply unless in check mode, one result shape."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.done = []

    def hide(self, *secrets):
        """Mask these values wherever the result or a warning would show them."""
        for secret in secrets:
            if secret:
                self.module.no_log_values.add(secret)

    def read(self):
        return None

    def plan(self, current):
        return None

    def apply(self, plan):
        raise NotImplementedError

    def result(self, current, plan):
        return {}

    def partial(self):
        return {}

    def close(self):
        pass

    def run(self):
        module = self.module
        try:
            current = self.read()
            plan = self.plan(current)
            result = dict(changed=False)
            if plan is not None and plan.needs and not module.check_mode:
                plan = Plan(needs=plan.needs)
            if plan is not None:
                for warning in plan.warnings:
                    module.warn(warning)
                if not module.check_mode:
                    self.apply(plan)
                result.update(changed=plan.changed, actions=plan.actions, before=plan.before, after=plan.after)
                if module._diff:
                    result['diff'] = plan.diff
            result.update(self.result(current, plan))
            result.update(self.partial())
        except EdgestackModuleError as exc:
            failure = dict(changed=bool(self.done), actions=list(self.done))
            failure.update(self.partial())
            failure.update(exc.fail_kwargs())
            module.fail_json(**failure)
        finally:
            self.close()
        module.exit_json(**result)
