# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What --diff shows of the audit.json on disk is read line by line, not by loading the whole report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._report import render_json
from ansible_collections.aliasguard.cloudfront.plugins.modules.alias_audit_report import _summary_line

REPORT = {"schema": "aliasguard.cloudfront/audit/1", "generated": "2026-11-30T18:00:00+00:00", "resolved": [],
          # a finding whose words look like a top-level key: it is indented deeper, so it is not one
          "findings": [{"detail": 'see\n  "summary": {"findings": 99}', "summary": {"findings": 98}}],
          "summary": {"findings": 1, "by_kind": {"dangling_cname": 1}, "unverified": {"names": 0, "reasons": []}},
          "verification": {"summary": 3}}
EXPECTED = 'generated 2026-11-30T18:00:00+00:00\n{"by_kind": {"dangling_cname": 1}, "findings": 1, ' \
           '"unverified": {"names": 0, "reasons": []}}\n'


def test_the_summary_of_an_audit_json_as_written(tmp_path):
    path = tmp_path / "audit.json"
    path.write_text(render_json(REPORT))
    assert _summary_line(str(path)) == EXPECTED


def test_the_summary_of_an_audit_json_written_otherwise_and_of_something_else(tmp_path):
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(REPORT))  # one line: read whole
    assert _summary_line(str(path)) == EXPECTED
    path.write_text("not json")
    assert _summary_line(str(path)) == "(not an audit report)\n"
