# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The audit report as JSON (the stable schema), Markdown, and one self-contained HTML page.

The HTML page carries its data inline and needs no server and no network: a
summary per account; what could not be checked and what changed since the
previous report; a map of who owns which name and where DNS sends it (inline
SVG, one section per zone, healthy names collapsed into a count, problems
always drawn); and a table of findings that sorts on any column, filters by
text, severity, kind and status, and keeps that state in the URL
(``#sort=name&q=www``) so that a link shows the same view.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from typing import Any, Iterable, List, Optional, Sequence

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._audit import KINDS, SEVERITIES, STATUSES, Json


def render_json(report: Json) -> str:
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


def write_json(report: Json, out: Any) -> None:
    """``render_json(report)`` written to ``out`` piece by piece: with ``indent`` Python's JSON encoder is the pure
    Python one, and ``json.dumps`` joins its millions of pieces in a list first (about four times the text's size)."""
    json.dump(report, out, indent=2, sort_keys=True)
    out.write("\n")


def read_top_level(handle: Iterable[str], keys: Sequence[str]) -> Json:
    """{key: value} of the top-level ``keys`` found in a report as ``write_json`` writes it, read line by line.

    With indent 2 a top-level key, and only a top-level key, starts a line with two spaces and a quote (a string's
    line breaks are escaped), and its object or list ends on the next line that starts with two spaces and a bracket:
    a large fleet's audit.json (tens of MB, mostly its ownership map) is not loaded whole for a few of its keys. A key
    not found is left out (the caller may read the file whole).
    """
    found: Json = {}
    key: Optional[str] = None
    lines: List[str] = []
    for line in handle:
        if key is not None:
            lines.append(line)
            if line.startswith("  }") or line.startswith("  ]"):
                found[key] = json.loads("".join(lines).rstrip().rstrip(","))
                key = None
            continue
        for wanted in keys:
            start = '  "%s": ' % wanted
            if line.startswith(start):
                value = line[len(start):]
                if value.rstrip() in ("{", "["):
                    key, lines = wanted, [value]
                else:
                    found[wanted] = json.loads(value.rstrip().rstrip(","))
    return found


def _md_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _unverified_lines(report: Json) -> List[str]:
    unverified = report["summary"].get("unverified") or {}
    if not unverified.get("names"):
        return []
    lines = ["**%d names could not be checked** (kind `unverified`): nothing proves whether they are served or "
             "dangling." % unverified["names"], ""]
    for reason in unverified.get("reasons", []):
        lines.append("- %d: %s (`%s`). For example: %s" % (
            reason["names"], reason["text"], reason["reason"], _md_cell(reason["example"])))
    return lines + [""]


def _findings_table(findings: Sequence[Json], with_status: bool) -> List[str]:
    if with_status:
        lines = ["| status | severity | kind | name | detail | fix |", "|---|---|---|---|---|---|"]
    else:
        lines = ["| severity | kind | name | detail | fix |", "|---|---|---|---|---|"]
    for finding in findings:
        cells = [finding["severity"], finding["kind"], _md_cell(finding["name"]), _md_cell(finding["detail"])]
        row = "| %s | %s | %s | %s | `%s` |" % tuple(cells + [_md_cell(finding["fix"])])
        lines.append("| %s %s" % (finding.get("status", ""), row) if with_status else row)
    return lines


def render_markdown(report: Json) -> str:
    changes = report["summary"].get("changes")
    generated = "Generated %s. %d findings." % (report["generated"], report["summary"]["findings"])
    lines = ["# CloudFront alias audit", "", generated, ""]
    if changes:
        lines += ["Compared with the report of %s: %d new, %d resolved, %d unchanged." % (
            changes.get("previous_generated"), changes["new"], changes["resolved"], changes["unchanged"]), ""]
    lines += _unverified_lines(report)
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
    ownership = report.get("ownership")
    if ownership and ownership.get("zones"):
        lines += ["", "## Who owns the names, by zone", "", "| zone | provider | account | names | healthy | "
                  "with findings |", "|---|---|---|---|---|---|"]
        for zone in ownership["zones"]:
            lines.append("| %s | %s | %s | %d | %d | %d |" % (
                zone["zone"], zone["provider"], zone.get("account") or "", len(zone["names"]), zone["healthy"],
                zone["problems"]))
    lines += ["", "## Findings by severity", ""]
    for severity in SEVERITIES:
        lines.append("- %s: %d" % (severity, report["summary"]["by_severity"][severity]))
    lines += ["", "## Findings", ""]
    if not report["findings"]:
        lines.append("None.")
    else:
        lines += _findings_table(report["findings"], bool(changes))
    if changes:
        lines += ["", "## Resolved since %s" % changes.get("previous_generated"), ""]
        lines += _findings_table(report.get("resolved") or [], True) if report.get("resolved") else ["None."]
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
  h2 { font-size: 1.2em; margin: 1.4em 0 .4em; }
  .muted { color: #5b6576; }
  .cards { display: flex; flex-wrap: wrap; gap: .8em; margin: 1em 0; }
  .card { border: 1px solid #d5dae3; border-radius: 6px; padding: .6em .9em; min-width: 13em; }
  .card b { font-size: 1.1em; }
  .counts span { display: inline-block; margin-right: .6em; }
  .banner { border-radius: 6px; padding: .6em .9em; margin: .8em 0; }
  .banner.warn { background: #fff4e0; border: 1px solid #e8a317; }
  .banner.info { background: #eef4fc; border: 1px solid #3b7dd8; }
  .banner ul { margin: .3em 0 0; padding-left: 1.3em; }
  .controls { margin: 1em 0 .5em; display: flex; gap: .6em; flex-wrap: wrap; align-items: center; }
  input, select { font: inherit; padding: .25em .4em; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border-bottom: 1px solid #e3e7ee; padding: .35em .5em; text-align: left; vertical-align: top; }
  th { cursor: pointer; user-select: none; background: #f4f6f9; position: sticky; top: 0; }
  th[aria-sort=ascending]::after { content: " \\25B2"; }
  th[aria-sort=descending]::after { content: " \\25BC"; }
  table.no-status .col-status { display: none; }
  td.fix code { font-size: .85em; word-break: break-all; }
  tr.status-resolved td { color: #868e96; } tr.status-resolved td.name { text-decoration: line-through; }
  .st { font-size: .85em; padding: .05em .4em; border-radius: 4px; border: 1px solid #adb5bd; }
  .st-new { border-color: #a4161a; color: #a4161a; font-weight: 600; } .st-resolved { border-color: #2b8a3e; color: #2b8a3e; }
  .sev { font-weight: 600; padding: .05em .45em; border-radius: 4px; color: #fff; }
  .sev-critical { background: #a4161a; } .sev-high { background: #d9480f; } .sev-medium { background: #e8a317; color: #1d2430; }
  .sev-low { background: #3b7dd8; } .sev-info { background: #868e96; }
  tr.row-critical td:first-child { border-left: 4px solid #a4161a; } tr.row-high td:first-child { border-left: 4px solid #d9480f; }
  tr.row-medium td:first-child { border-left: 4px solid #e8a317; } tr.row-low td:first-child { border-left: 4px solid #3b7dd8; }
  tr.row-info td:first-child { border-left: 4px solid #868e96; }
  #map details.zone { border: 1px solid #d5dae3; border-radius: 6px; margin: .5em 0; padding: .3em .7em; }
  #map details.zone > summary { cursor: pointer; padding: .2em 0; }
  #map details.healthy { margin: .3em 0 .3em 1em; }
  #map details.healthy > summary { cursor: pointer; color: #2b8a3e; }
  #map .graph { overflow-x: auto; }
  #map svg { display: block; font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
  #map svg .hdr { font: 600 12px system-ui, sans-serif; fill: #5b6576; }
  #map svg .acct { fill: #f4f6f9; stroke: #d5dae3; }
  #map svg .box { fill: #fff; stroke: #8d96a3; }
  #map svg .box.disabled { fill: #e9ecef; stroke-dasharray: 3 2; }
  #map svg .box.missing { fill: #fde8e8; stroke: #a4161a; }
  #map svg .box.unknown { fill: #f1f3f5; stroke: #868e96; stroke-dasharray: 2 2; }
  #map svg .box.outside { fill: #f8f0fc; stroke: #9c36b5; }
  #map svg .name { cursor: pointer; }
  #map svg .why { fill: #5b6576; font: italic 11px system-ui, sans-serif; }
  #map svg .name:hover text { text-decoration: underline; }
  #map svg path { fill: none; stroke-width: 1.6; }
  #map svg .e-ok { stroke: #2b8a3e; }
  #map svg .e-dns { stroke: #3b7dd8; }
  #map svg .e-holds { stroke: #2b8a3e; stroke-dasharray: 5 3; }
  #map svg .e-drift { stroke: #d9480f; stroke-width: 2.2; }
  #map svg .e-dangling { stroke: #a4161a; stroke-width: 2.2; stroke-dasharray: 6 3; }
  #map svg .e-unverified { stroke: #868e96; stroke-dasharray: 2 3; }
  #map svg .e-overlap { stroke: #7048e8; stroke-dasharray: 4 3; }
  #map .legend span { display: inline-block; margin-right: 1em; white-space: nowrap; }
  #map .legend i { display: inline-block; width: 1.8em; height: 0; border-top: 2px solid; vertical-align: middle; margin-right: .3em; }
</style>
</head>
<body>
<h1>CloudFront alias audit</h1>
<div class="muted" id="meta"></div>
<div id="banners"></div>
<div class="cards" id="accounts"></div>
<div class="counts" id="counts"></div>
<section id="map">
  <h2>Who owns which name, and where DNS sends it</h2>
  <div class="muted" id="map-summary"></div>
  <div class="legend muted">
    <span><i style="border-color:#2b8a3e"></i>DNS and holder agree</span>
    <span><i style="border-color:#3b7dd8"></i>DNS sends the name here</span>
    <span><i style="border-color:#2b8a3e;border-top-style:dashed"></i>holds the name</span>
    <span><i style="border-color:#d9480f"></i>DNS points elsewhere (drift)</span>
    <span><i style="border-color:#a4161a;border-top-style:dashed"></i>dangling</span>
    <span><i style="border-color:#868e96;border-top-style:dotted"></i>could not be checked</span>
    <span><i style="border-color:#7048e8;border-top-style:dashed"></i>a wildcard covers it too (overlap)</span>
  </div>
  <div id="zones"></div>
</section>
<h2>Findings</h2>
<div class="controls">
  <label>Filter <input id="q" type="search" placeholder="name, detail, account..."></label>
  <label>Severity <select id="severity"><option value="">all</option></select></label>
  <label>Kind <select id="kind"><option value="">all</option></select></label>
  <label class="col-status-control">Status <select id="status"><option value="">all</option></select></label>
  <span class="muted" id="shown"></span>
</div>
<table id="findings">
  <thead><tr>
    <th data-key="severity">Severity</th><th data-key="kind">Kind</th><th data-key="name">Name</th>
    <th data-key="account">Account</th><th data-key="detail">Detail</th><th data-key="fix">Fix</th>
    <th data-key="status" class="col-status">Status</th>
  </tr></thead>
  <tbody></tbody>
</table>
<script id="report-data" type="application/json">__DATA__</script>
<script>
(function () {
  "use strict";
  var report = JSON.parse(document.getElementById("report-data").textContent);
  var SEVERITIES = __SEVERITIES__, KINDS = __KINDS__, STATUSES = __STATUSES__;
  var state = { sort: "severity", dir: 1, q: "", severity: "", kind: "", status: "" };
  var comparing = !!report.summary.changes;
  var rowsAll = report.findings.concat(report.resolved || []);

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value == null ? "" : String(value);
    if (cls) { el.className = cls; }
    return el;
  }
  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\\"": "&quot;", "'": "&#39;" }[c];
    });
  }
  function sevRank(s) { var i = SEVERITIES.indexOf(s); return i < 0 ? 99 : i; }
  function key(f, k) {
    if (k === "severity") { return sevRank(f.severity); }
    if (k === "account") { return f.account || (f.dns && f.dns.account) || ""; }
    return String(f[k] || "").toLowerCase();
  }

  document.getElementById("meta").textContent = "Generated " + report.generated + " \\u2014 " +
    report.requests.total + " API requests (lower bound " + report.requests_lower_bound.total + ")";

  // -- what could not be checked, and what changed -----------------------------------
  var banners = document.getElementById("banners");
  var unverified = report.summary.unverified || { names: 0, reasons: [] };
  if (unverified.names) {
    var warn = document.createElement("div");
    warn.className = "banner warn";
    warn.id = "unverified-banner";
    warn.appendChild(text("b", unverified.names + (unverified.names === 1 ? " name" : " names") +
      " could not be checked"));
    warn.appendChild(document.createTextNode(
      " \\u2014 nothing proves whether they are served or dangling (findings of kind unverified):"));
    var list = document.createElement("ul");
    unverified.reasons.forEach(function (r) {
      var li = text("li", r.names + ": " + r.text + ". ");
      li.setAttribute("data-reason", r.reason);
      li.appendChild(text("span", r.example, "muted"));
      list.appendChild(li);
    });
    warn.appendChild(list);
    banners.appendChild(warn);
  }
  if (comparing) {
    var c = report.summary.changes;
    var info = document.createElement("div");
    info.className = "banner info";
    info.id = "changes-banner";
    info.textContent = "Since the report of " + c.previous_generated + ": " + c["new"] + " new, " + c.resolved +
      " resolved, " + c.unchanged + " unchanged.";
    banners.appendChild(info);
  }

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

  // -- the map: one section per zone, problems drawn, healthy names counted ----------------
  var own = report.ownership || { nodes: {}, zones: [], unzoned: [] };
  var accountLabels = {};
  report.accounts.forEach(function (a) { accountLabels[a.account_id] = a.label; });
  var STATE_TEXT = { ok: "DNS and holder agree", dangling_cname: "dangling", dns_points_elsewhere: "DNS points elsewhere",
    unverified: "could not be checked", proxied_in_front: "proxied in front", disabled_holder: "disabled holder",
    overlapping_holders: "overlap", alias_without_dns: "no DNS record", leftover_txt: "leftover TXT",
    tenant_domain_inactive: "tenant domain inactive", tenant_dns_other_group: "DNS to another connection group" };
  var STATE_COLOR = { ok: "#2b8a3e", dangling_cname: "#a4161a", dns_points_elsewhere: "#d9480f", unverified: "#868e96",
    proxied_in_front: "#e8a317", disabled_holder: "#868e96", overlapping_holders: "#7048e8",
    alias_without_dns: "#3b7dd8", leftover_txt: "#3b7dd8", tenant_domain_inactive: "#868e96",
    tenant_dns_other_group: "#e8a317" };
  var ROW = 24, CHAR = 7.3, TOP = 26;

  function node(id) { return own.nodes[id] || { kind: "unknown", label: id }; }
  function nodeGroup(id) {
    var n = node(id);
    if (n.kind === "target") { return "~target"; }
    if (n.kind === "outside") { return "~outside"; }
    return n.account || "";
  }
  function nodeText(id) {
    var n = node(id);
    if (n.kind === "target") {
      return (n.exists === false ? "\\u2715 " : n.exists === null ? "? " : "") + n.domain +
        (n.exists === false ? " (does not exist)" : n.exists === null ? " (could not check)" : "");
    }
    if (n.kind === "outside") { return n.label + " (" + (n.resource_type || "distribution") + ", account " + n.account + ")"; }
    var kind = n.kind === "tenant" ? "tenant " : n.kind === "connection_group" ? "connection group " : "";
    return kind + n.label + "  " + (n.domain || "") + (n.enabled === false ? " (disabled)" : "");
  }
  function nodeClass(id) {
    var n = node(id);
    if (n.kind === "target") { return n.exists === false ? "missing" : n.exists === null ? "unknown" : "outside"; }
    if (n.kind === "outside") { return "outside"; }
    return n.enabled === false ? "disabled" : "";
  }
  function groupTitle(group) {
    if (group === "~target") { return "CloudFront names outside the audited accounts"; }
    if (group === "~outside") { return "Held outside the audited accounts (ids partly hidden by AWS)"; }
    return "account " + group + (accountLabels[group] && accountLabels[group] !== group ? " (" + accountLabels[group] + ")" : "");
  }
  function edge(x1, y1, x2, y2, cls, title) {
    var mid = (x1 + x2) / 2;
    return '<path class="' + cls + '" d="M' + x1 + " " + y1 + " C" + mid + " " + y1 + " " + mid + " " + y2 + " " + x2 +
      " " + y2 + '"' + (cls === "e-ok" || cls === "e-dns" || cls === "e-drift" || cls === "e-dangling" ||
      cls === "e-unverified" ? ' marker-end="url(#arrow-' + cls + ')"' : "") + "><title>" + esc(title) + "</title></path>";
  }
  var MARKERS = ["e-ok", "e-dns", "e-drift", "e-dangling", "e-unverified"].map(function (cls) {
    var color = { "e-ok": "#2b8a3e", "e-dns": "#3b7dd8", "e-drift": "#d9480f", "e-dangling": "#a4161a",
      "e-unverified": "#868e96" }[cls];
    return '<marker id="arrow-' + cls + '" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" ' +
      'orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" style="fill:' + color + ';stroke:none"></path></marker>';
  }).join("");

  // items: [{label, title, state, dns, holder, also, attrs}] -> one SVG, names left, holders right, grouped by account.
  function drawGraph(items) {
    var ids = [], seen = {};
    items.forEach(function (it) {
      [it.holder, it.dns].concat(it.also || []).forEach(function (id) {
        if (id && !seen[id]) { seen[id] = true; ids.push(id); }
      });
    });
    ids.sort(function (a, b) {
      var ga = nodeGroup(a), gb = nodeGroup(b);
      if (ga !== gb) { return ga < gb ? -1 : 1; }
      return a < b ? -1 : a > b ? 1 : 0;
    });
    var y = TOP, ny = {}, groups = [], last = null;
    ids.forEach(function (id) {
      var g = nodeGroup(id);
      if (g !== last) { groups.push({ title: groupTitle(g), y: y, end: y }); y += 22; last = g; }
      ny[id] = y + ROW / 2;
      y += ROW;
      groups[groups.length - 1].end = y;
    });
    var nodesBottom = y;
    var order = {};
    ids.forEach(function (id, i) { order[id] = i; });
    items = items.slice().sort(function (a, b) {
      var pa = order[a.holder || a.dns], pb = order[b.holder || b.dns];
      if (pa !== pb) { return pa - pb; }
      return a.label < b.label ? -1 : a.label > b.label ? 1 : 0;
    });
    var longest = 10;
    items.forEach(function (it) { longest = Math.max(longest, it.label.length + (it.note ? it.note.length + 2 : 0)); });
    var nameW = Math.min(Math.round(longest * CHAR) + 30, 460), x0 = 8, xe = x0 + nameW, xn = xe + 190;
    var longestNode = 20;
    ids.forEach(function (id) { longestNode = Math.max(longestNode, nodeText(id).length); });
    var nodeW = Math.round(longestNode * CHAR) + 20;
    var height = Math.max(TOP + items.length * ROW, nodesBottom) + 8;
    var width = xn + nodeW + 20;
    var out = ['<svg width="' + width + '" height="' + height + '" viewBox="0 0 ' + width + " " + height +
      '" role="img"><defs>' + MARKERS + "</defs>",
      '<text class="hdr" x="' + x0 + '" y="14">Name (DNS record)</text>',
      '<text class="hdr" x="' + xn + '" y="14">Held by / DNS target</text>'];
    groups.forEach(function (g) {
      out.push('<rect class="acct" x="' + (xn - 6) + '" y="' + g.y + '" width="' + (nodeW + 12) + '" height="' +
        (g.end - g.y + 4) + '" rx="5"></rect><text class="hdr" x="' + xn + '" y="' + (g.y + 15) + '">' +
        esc(g.title) + "</text>");
    });
    var edges = [], names = [];
    items.forEach(function (it, i) {
      var yr = TOP + i * ROW + ROW / 2;
      var color = STATE_COLOR[it.state] || "#2b8a3e";
      if (it.dns && (it.dns === it.holder || it.agrees)) {
        edges.push(edge(xe, yr, xn - 8, ny[it.dns], "e-ok", "DNS sends " + it.label + " to " + nodeText(it.dns) +
          (it.dns === it.holder ? ", which holds it" : ", the connection group of its tenant")));
        if (it.holder && it.holder !== it.dns) {
          edges.push(edge(xe, yr, xn - 8, ny[it.holder], "e-holds", nodeText(it.holder) + " holds " + it.label));
        }
      } else {
        if (it.dns) {
          var cls = { dangling_cname: "e-dangling", dns_points_elsewhere: "e-drift", unverified: "e-unverified" }[it.state] ||
            "e-dns";
          edges.push(edge(xe, yr, xn - 8, ny[it.dns], cls, "DNS sends " + it.label + " to " + nodeText(it.dns)));
        }
        if (it.holder) {
          edges.push(edge(xe, yr, xn - 8, ny[it.holder], "e-holds", nodeText(it.holder) + " holds " + it.label));
        }
      }
      (it.also || []).forEach(function (id) {
        edges.push(edge(xe, yr, xn - 8, ny[id], "e-overlap", "a wildcard on " + nodeText(id) + " covers " + it.label));
      });
      var attrs = "";
      Object.keys(it.attrs || {}).forEach(function (k) { attrs += " " + k + '="' + esc(it.attrs[k]) + '"'; });
      names.push('<g class="name"' + attrs + '><circle cx="' + (x0 + 5) + '" cy="' + yr + '" r="5" style="fill:' +
        color + '"></circle><text x="' + (x0 + 15) + '" y="' + (yr + 4) + '">' + esc(it.label) +
        (it.note ? '<tspan class="why" dx="10">' + esc(it.note) + "</tspan>" : "") + "</text><title>" +
        esc(it.title) + "</title></g>");
    });
    var boxes = ids.map(function (id) {
      return '<g class="node" data-node="' + esc(id) + '" data-kind="' + esc(node(id).kind) + '"><rect class="box ' +
        nodeClass(id) + '" x="' + (xn - 8) + '" y="' + (ny[id] - 10) + '" width="' + nodeW + '" height="20" rx="3">' +
        '</rect><text x="' + xn + '" y="' + (ny[id] + 4) + '">' + esc(nodeText(id)) + "</text><title>" +
        esc(nodeText(id)) + "</title></g>";
    });
    out.push(edges.join(""), names.join(""), boxes.join(""), "</svg>");
    return out.join("");
  }

  function problemItem(row) {
    var label = row.name + (row.dns_elsewhere ? "  \\u2192 " + row.record : "") +
      (row.record || row.state === "alias_without_dns" ? "" : "  (no DNS record)");
    return { label: label, note: STATE_TEXT[row.state] || row.state, state: row.state, dns: row.dns,
      holder: row.holder, also: row.also, agrees: row.agrees,
      title: row.name + ": " + (STATE_TEXT[row.state] || row.state) + (row.record ? " \\u2014 " + row.record : "") +
        " \\u2014 " + row.findings.length + " finding(s); click to show them",
      attrs: { "data-name": row.name, "data-state": row.state, "data-findings": row.findings.join(" ") } };
  }
  function healthyItems(rows) {
    var byNode = {}, keys = [];
    rows.forEach(function (row) {
      var k = (row.dns || "") + "|" + (row.holder || "");
      if (!byNode[k]) { byNode[k] = []; keys.push(k); }
      byNode[k].push(row);
    });
    return keys.map(function (k) {
      var group = byNode[k], names = group.map(function (r) { return r.name; });
      var shown = names.slice(0, 3).join(", ") + (names.length > 3 ? ", +" + (names.length - 3) + " more" : "");
      return { label: names.length + (names.length === 1 ? " name: " : " names: ") + shown, state: "ok",
        dns: group[0].dns, holder: group[0].holder, agrees: group[0].agrees, also: [], title: names.join("\\n"),
        attrs: { "data-healthy-node": group[0].holder || group[0].dns, "data-count": names.length } };
    });
  }
  function showFindingsOf(name) {
    state.q = name; state.kind = ""; state.severity = ""; state.status = "";
    document.getElementById("q").value = name;
    document.getElementById("kind").value = "";
    document.getElementById("severity").value = "";
    document.getElementById("status").value = "";
    render();
    document.getElementById("findings").scrollIntoView();
  }
  function zoneSection(title, rows, attrs) {
    var problems = rows.filter(function (r) { return r.findings.length > 0; });
    var healthy = rows.filter(function (r) { return r.findings.length === 0; });
    var details = document.createElement("details");
    details.className = "zone";
    Object.keys(attrs).forEach(function (k) { details.setAttribute(k, attrs[k]); });
    var summary = document.createElement("summary");
    summary.appendChild(text("b", title.zone));
    summary.appendChild(document.createTextNode(" " + title.where + " \\u2014 " + rows.length + " names: " +
      problems.length + " with findings, " + healthy.length + " healthy"));
    details.appendChild(summary);
    var drawn = false;
    function draw() {
      if (drawn) { return; }
      drawn = true;
      if (problems.length) {
        var graph = document.createElement("div");
        graph.className = "graph problems";
        graph.innerHTML = drawGraph(problems.map(problemItem));
        details.appendChild(graph);
      }
      if (healthy.length) {
        var holders = {};
        healthy.forEach(function (r) { holders[r.holder || r.dns] = true; });
        var fold = document.createElement("details");
        fold.className = "healthy";
        fold.setAttribute("data-count", healthy.length);
        fold.appendChild(text("summary", healthy.length + " healthy " + (healthy.length === 1 ? "name" : "names") +
          " on " + Object.keys(holders).length + " distributions (DNS and holder agree) \\u2014 show"));
        var inner = document.createElement("div");
        inner.className = "graph";
        fold.appendChild(inner);
        fold.addEventListener("toggle", function () {
          if (fold.open && !inner.firstChild) { inner.innerHTML = drawGraph(healthyItems(healthy)); }
        });
        details.appendChild(fold);
      }
    }
    details.addEventListener("toggle", function () { if (details.open) { draw(); } });
    if (problems.length) { details.open = true; draw(); }
    return details;
  }
  var zonesEl = document.getElementById("zones");
  var totalNames = 0, totalProblems = 0;
  own.zones.forEach(function (z) {
    totalNames += z.names.length;
    totalProblems += z.problems;
    zonesEl.appendChild(zoneSection({ zone: z.zone, where: z.provider + (z.account ? " (account " + z.account + ")" : "") },
      z.names, { "data-zone": z.zone, "data-provider": z.provider }));
  });
  if (own.unzoned && own.unzoned.length) {
    zonesEl.appendChild(zoneSection({ zone: "Zones this audit did not read", where: "(names held, DNS unknown)" },
      own.unzoned, { "data-zone": "", "data-provider": "" }));
  }
  document.getElementById("map-summary").textContent = own.zones.length + " zones, " + totalNames + " names, " +
    totalProblems + " with findings, " + Object.keys(own.nodes).filter(function (id) {
      return own.nodes[id].kind === "distribution"; }).length + " audited distributions. Zones with findings are " +
    "open; healthy names are counted per distribution and drawn when you open them. Click a name to see its findings.";
  zonesEl.addEventListener("click", function (e) {
    var g = e.target.closest ? e.target.closest("g.name[data-name]") : null;
    if (g) { showFindingsOf(g.getAttribute("data-name")); }
  });

  // -- the table ----------------------------------------------------------------------
  function fill(id, values) {
    var select = document.getElementById(id);
    values.forEach(function (v) { var o = text("option", v); o.value = v; select.appendChild(o); });
  }
  fill("severity", SEVERITIES);
  fill("kind", KINDS);
  fill("status", STATUSES);
  if (!comparing) {
    document.getElementById("findings").classList.add("no-status");
    document.querySelector(".col-status-control").style.display = "none";
  }

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var sort = params.get("sort") || "severity";
    state.dir = sort.charAt(0) === "-" ? -1 : 1;
    state.sort = sort.replace(/^-/, "");
    state.q = params.get("q") || "";
    state.severity = params.get("severity") || "";
    state.kind = params.get("kind") || "";
    state.status = params.get("status") || "";
    document.getElementById("q").value = state.q;
    document.getElementById("severity").value = state.severity;
    document.getElementById("kind").value = state.kind;
    document.getElementById("status").value = state.status;
  }
  function writeHash() {
    var params = new URLSearchParams();
    params.set("sort", (state.dir < 0 ? "-" : "") + state.sort);
    if (state.q) { params.set("q", state.q); }
    if (state.severity) { params.set("severity", state.severity); }
    if (state.kind) { params.set("kind", state.kind); }
    if (state.status) { params.set("status", state.status); }
    history.replaceState(null, "", "#" + params.toString());
  }
  function render() {
    var q = state.q.toLowerCase();
    var rows = rowsAll.filter(function (f) {
      if (state.severity && f.severity !== state.severity) { return false; }
      if (state.kind && f.kind !== state.kind) { return false; }
      if (state.status && f.status !== state.status) { return false; }
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
      tr.className = "row-" + f.severity + (f.status ? " status-" + f.status : "");
      tr.setAttribute("data-kind", f.kind);
      tr.setAttribute("data-id", f.id || "");
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
      var status = document.createElement("td");
      status.className = "col-status";
      if (f.status) { status.appendChild(text("span", f.status, "st st-" + f.status)); }
      tr.appendChild(status);
      body.appendChild(tr);
    });
    document.querySelectorAll("th").forEach(function (th) {
      th.setAttribute("aria-sort", th.getAttribute("data-key") === state.sort ?
        (state.dir > 0 ? "ascending" : "descending") : "none");
    });
    document.getElementById("shown").textContent = rows.length + " of " + rowsAll.length + " shown";
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
  document.getElementById("status").addEventListener("change", function (e) { state.status = e.target.value; render(); });
  // A link with another state, opened on this page, changes only the fragment.
  window.addEventListener("hashchange", function () { readHash(); render(); });
  readHash();
  render();
}());
</script>
</body>
</html>
"""


def _html_parts() -> List[str]:
    """The page before and after its inline data."""
    page = (_HTML.replace("__SEVERITIES__", json.dumps(list(SEVERITIES)))
            .replace("__KINDS__", json.dumps(list(KINDS)))
            .replace("__STATUSES__", json.dumps(list(STATUSES))))
    return page.split("__DATA__", 1)


def write_html(report: Json, out: Any) -> None:
    """``render_html(report)`` written to ``out`` piece by piece, the report's JSON never held whole as text.

    A JSON piece holds a string whole, and only a string can hold '<', so escaping each piece escapes every '</'.
    """
    head, tail = _html_parts()
    out.write(head)
    for piece in json.JSONEncoder(sort_keys=True).iterencode(report):
        out.write(piece.replace("</", "<\\/"))
    out.write(tail)


def render_html(report: Json) -> str:
    # The data is inline JSON; '</' is escaped so that no value can close the script element.
    data = json.dumps(report, sort_keys=True).replace("</", "<\\/")
    return (_HTML.replace("__DATA__", data)
            .replace("__SEVERITIES__", json.dumps(list(SEVERITIES)))
            .replace("__KINDS__", json.dumps(list(KINDS)))
            .replace("__STATUSES__", json.dumps(list(STATUSES))))
