# -*- coding: utf-8 -*-
# Copyright (c) 2026, edgestack maintainers
# Apache License, Version 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Runs the ceph_auth_info module and hides its result when it returns keyrings.

See the ceph_auth action plugin: the same rule, shared code.
"""

from __future__ import annotations

from ansible_collections.edgestack.glance_ceph.plugins.action.ceph_auth import ActionModule as _AuthAction


class ActionModule(_AuthAction):
    pass
