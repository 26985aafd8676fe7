# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the ceph_auth_info module and hides its result when it returns keyrings.

See the ceph_auth action plugin: the same rule, shared code.
"""

from __future__ import annotations

from ansible_collections.edgestack.glance_ceph.plugins.action.ceph_auth import ActionModule as _AuthAction


class ActionModule(_AuthAction):
    pass
