# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit report as JSON (the stable schema), Markdown, and one self-contained HTML page.

The HTML page carries its data inline and needs no server: a summary per
account, and a table of findings that sorts on any column, filters by text,
severity and kind, and keeps that state in the URL (``#sort=name&q=www``) so
that a link shows the same view.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit import KINDS, SEVERITIES


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


def _md_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report):
    generated = "Generated %s. %d findings." % (report["generated"], report["summary"]["findings"])
    lines = ["# CloudFront alias audit", "", generated, ""]
    lines += ["## Accounts", "", "| account | label | distributions | aliases | Route 53 zones | DNS records |",
              "|---|---|---|---|---|---|"]
    for account in report["accounts"]:
        lines.append("| %s | %s | %d | %d | %d | %d |" % (
            account["account_id"], _md_cell(account.get("label", "")), account["distributions"], account["aliases"],
            account["zones"], account["records"]))
    if report.get("dns_sources"):
        lines += ["", "## Other DNS sources", "", "| provider | zone | records |", "|---|---|---|"]
        for source in report["dns_sources"]:
            lines.append("| %s | %s | %d |" % (source["provider"], source["zone"], source["records"]))
    lines += ["", "## Findings by severity", ""]
    for severity in SEVERITIES:
        lines.append("- %s: %d" % (severity, report["summary"]["by_severity"][severity]))
    lines += ["", "## Findings", ""]
    if not report["findings"]:
        lines.append("None.")
    else:
        lines += ["| severity | kind | name | detail | fix |", "|---|---|---|---|---|"]
        for finding in report["findings"]:
            lines.append("| %s | %s | %s | %s | `%s` |" % (
                finding["severity"], finding["kind"], _md_cell(finding["name"]), _md_cell(finding["detail"]),
                _md_cell(finding["fix"])))
    lines += ["", "## Cost", "", "%d API requests (lower bound for this inventory: %d)." % (
        report["requests"]["total"], report["requests_lower_bound"]["total"]), ""]
    return "\n".join(lines)


_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CloudFront alias audit</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d2430; }
  h1 { font-size: 1.5em; margin: 0 0 .2em; }
  .muted { color: #5b6576; }
  .cards { display: flex; flex-wrap: wrap; gap: .8em; margin: 1em 0; }
  .card { border: 1px solid #d5dae3; border-radius: 6px; padding: .6em .9em; min-width: 13em; }
  .card b { font-size: 1.1em; }
  .counts span { display: inline-block; margin-right: .6em; }
  .controls { margin: 1em 0 .5em; display: flex; gap: .6em; flex-wrap: wrap; align-items: center; }
  input, select { font: inherit; padding: .25em .4em; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border-bottom: 1px solid #e3e7ee; padding: .35em .5em; text-align: left; vertical-align: top; }
  th { cursor: pointer; user-select: none; background: #f4f6f9; position: sticky; top: 0; }
  th[aria-sort=ascending]::after { content: " \\25B2"; }
  th[aria-sort=descending]::after { content: " \\25BC"; }
  td.fix code { font-size: .85em; word-break: break-all; }
  .sev { font-weight: 600; padding: .05em .45em; border-radius: 4px; color: #fff; }
  .sev-critical { background: #a4161a; } .sev-high { background: #d9480f; } .sev-medium { background: #e8a317; color: #1d2430; }
  .sev-low { background: #3b7dd8; } .sev-info { background: #868e96; }
  tr.row-critical td:first-child { border-left: 4px solid #a4161a; } tr.row-high td:first-child { border-left: 4px solid #d9480f; }
  tr.row-medium td:first-child { border-left: 4px solid #e8a317; } tr.row-low td:first-child { border-left: 4px solid #3b7dd8; }
  tr.row-info td:first-child { border-left: 4px solid #868e96; }
</style>
</head>
<body>
<h1>CloudFront alias audit</h1>
<div class="muted" id="meta"></div>
<div class="cards" id="accounts"></div>
<div class="counts" id="counts"></div>
<div class="controls">
  <label>Filter <input id="q" type="search" placeholder="name, detail, account..."></label>
  <label>Severity <select id="severity"><option value="">all</option></select></label>
  <label>Kind <select id="kind"><option value="">all</option></select></label>
  <span class="muted" id="shown"></span>
</div>
<table id="findings">
  <thead><tr>
    <th data-key="severity">Severity</th><th data-key="kind">Kind</th><th data-key="name">Name</th>
    <th data-key="account">Account</th><th data-key="detail">Detail</th><th data-key="fix">Fix</th>
  </tr></thead>
  <tbody></tbody>
</table>
<script id="report-data" type="application/json">__DATA__</script>
<script>
(function () {
  "use strict";
  var report = JSON.parse(document.getElementById("report-data").textContent);
  var SEVERITIES = __SEVERITIES__, KINDS = __KINDS__;
  var state = { sort: "severity", dir: 1, q: "", severity: "", kind: "" };

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value == null ? "" : String(value);
    if (cls) { el.className = cls; }
    return el;
  }
  function sevRank(s) { var i = SEVERITIES.indexOf(s); return i < 0 ? 99 : i; }
  function key(f, k) {
    if (k === "severity") { return sevRank(f.severity); }
    if (k === "account") { return f.account || (f.dns && f.dns.account) || ""; }
    return String(f[k] || "").toLowerCase();
  }

  document.getElementById("meta").textContent = "Generated " + report.generated + " \\u2014 " +
    report.requests.total + " API requests (lower bound " + report.requests_lower_bound.total + ")";
  report.accounts.forEach(function (a) {
    var card = document.createElement("div");
    card.className = "card";
    card.appendChild(text("b", a.account_id));
    card.appendChild(text("div", a.label || "", "muted"));
    card.appendChild(text("div", a.distributions + " distributions, " + a.aliases + " aliases"));
    card.appendChild(text("div", a.zones + " Route 53 zones, " + a.records + " records"));
    card.appendChild(text("div", (a.findings || 0) + " findings"));
    document.getElementById("accounts").appendChild(card);
  });
  var counts = document.getElementById("counts");
  SEVERITIES.forEach(function (s) {
    var span = document.createElement("span");
    span.appendChild(text("span", s, "sev sev-" + s));
    span.appendChild(document.createTextNode(" " + report.summary.by_severity[s]));
    counts.appendChild(span);
  });
  function fill(id, values) {
    var select = document.getElementById(id);
    values.forEach(function (v) { var o = text("option", v); o.value = v; select.appendChild(o); });
  }
  fill("severity", SEVERITIES);
  fill("kind", KINDS);

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var sort = params.get("sort") || "severity";
    state.dir = sort.charAt(0) === "-" ? -1 : 1;
    state.sort = sort.replace(/^-/, "");
    state.q = params.get("q") || "";
    state.severity = params.get("severity") || "";
    state.kind = params.get("kind") || "";
    document.getElementById("q").value = state.q;
    document.getElementById("severity").value = state.severity;
    document.getElementById("kind").value = state.kind;
  }
  function writeHash() {
    var params = new URLSearchParams();
    params.set("sort", (state.dir < 0 ? "-" : "") + state.sort);
    if (state.q) { params.set("q", state.q); }
    if (state.severity) { params.set("severity", state.severity); }
    if (state.kind) { params.set("kind", state.kind); }
    history.replaceState(null, "", "#" + params.toString());
  }
  function render() {
    var q = state.q.toLowerCase();
    var rows = report.findings.filter(function (f) {
      if (state.severity && f.severity !== state.severity) { return false; }
      if (state.kind && f.kind !== state.kind) { return false; }
      if (!q) { return true; }
      return [f.name, f.kind, f.detail, f.fix, key(f, "account")].join(" ").toLowerCase().indexOf(q) >= 0;
    });
    rows.sort(function (a, b) {
      var x = key(a, state.sort), y = key(b, state.sort);
      if (x < y) { return -state.dir; }
      if (x > y) { return state.dir; }
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    });
    var body = document.querySelector("#findings tbody");
    body.textContent = "";
    rows.forEach(function (f) {
      var tr = document.createElement("tr");
      tr.className = "row-" + f.severity;
      tr.setAttribute("data-kind", f.kind);
      var sev = document.createElement("td");
      sev.appendChild(text("span", f.severity, "sev sev-" + f.severity));
      tr.appendChild(sev);
      tr.appendChild(text("td", f.kind));
      tr.appendChild(text("td", f.name, "name"));
      tr.appendChild(text("td", key(f, "account")));
      tr.appendChild(text("td", f.detail));
      var fix = document.createElement("td");
      fix.className = "fix";
      fix.appendChild(text("code", f.fix));
      tr.appendChild(fix);
      body.appendChild(tr);
    });
    document.querySelectorAll("th").forEach(function (th) {
      th.setAttribute("aria-sort", th.getAttribute("data-key") === state.sort ?
        (state.dir > 0 ? "ascending" : "descending") : "none");
    });
    document.getElementById("shown").textContent = rows.length + " of " + report.findings.length + " shown";
    writeHash();
  }
  document.querySelectorAll("th").forEach(function (th) {
    th.addEventListener("click", function () {
      var k = th.getAttribute("data-key");
      state.dir = state.sort === k ? -state.dir : 1;
      state.sort = k;
      render();
    });
  });
  document.getElementById("q").addEventListener("input", function (e) { state.q = e.target.value; render(); });
  document.getElementById("severity").addEventListener("change", function (e) { state.severity = e.target.value; render(); });
  document.getElementById("kind").addEventListener("change", function (e) { state.kind = e.target.value; render(); });
  // A link with another state, opened on this page, changes only the fragment.
  window.addEventListener("hashchange", function () { readHash(); render(); });
  readHash();
  render();
}());
</script>
</body>
</html>
"""


def render_html(report):
    # The data is inline JSON; '</' is escaped so that no value can close the script element.
    data = json.dumps(report, sort_keys=True).replace("</", "<\\/")
    return (_HTML.replace("__DATA__", data)
            .replace("__SEVERITIES__", json.dumps(list(SEVERITIES)))
            .replace("__KINDS__", json.dumps(list(KINDS))))
