"""The audit's HTML report in a real browser (Debian's headless Chromium, driven by Selenium).

It must load from a file with no server and no network, sort when a column header is clicked,
filter by text and by severity, keep that state in the URL, raise no script error, and draw
the ownership map: every zone, the planted problems marked, healthy names collapsed until
opened - also at 1,000 distributions. Screenshots are kept in tests/output/.
"""

import json
import os
import re
import shutil
import sys

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import ROOT, collections_path, run_playbook

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def report(sandbox, tmp_path_factory):
    built = sandbox.scenario("fleet", distributions=30, aliases_per_distribution=2)
    out = tmp_path_factory.mktemp("report")
    env = sandbox.aws_env()
    env.update({"CLOUDFLARE_API_TOKEN": sandbox.endpoints["cloudflare"]["api_token"],
                "CLOUDFLARE_BASE_URL": sandbox.endpoints["cloudflare"]["base_url"]})
    extra_vars = {"report_dir": str(out), "cloudflare_zones": ["fleet-d.example"],
                  "verify_nameservers": [sandbox.dns_server]}
    run = run_playbook("aliasguard.cloudfront.audit", extra_vars, env=env)
    assert run.returncode == 0, run.stdout[-3000:]
    with open(out / "audit.json", encoding="utf-8") as fh:
        return {"html": str(out / "audit.html"), "data": json.load(fh), "planted": built["planted"]}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    assert os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER), (
        "Chromium and ChromeDriver are needed (Debian packages chromium, chromium-driver; scripts/bootstrap.sh "
        "installs them)")
    os.environ["SE_OFFLINE"] = "true"  # Selenium must not try to download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000", "--user-data-dir=%s" % tmp_path_factory.mktemp("chromium")):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#findings tbody tr")


def _column(driver, index):
    return [row.find_elements(By.TAG_NAME, "td")[index].text for row in _rows(driver)]


def _open(driver, report, fragment=""):
    driver.get("file://" + report["html"] + fragment)
    assert driver.find_element(By.TAG_NAME, "h1").text == "CloudFront alias audit"


def _output(name):
    out = os.path.join(ROOT, "tests", "output")
    os.makedirs(out, exist_ok=True)
    return os.path.join(out, name)


def _screenshot(driver, element, name):
    """A screenshot of one element, however tall (Chromium captures beyond the window)."""
    rect = driver.execute_script(
        "var r = arguments[0].getBoundingClientRect();"
        "return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height};", element)
    import base64

    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": rect["x"], "y": rect["y"], "width": rect["width"], "height": min(rect["height"], 8000),
                 "scale": 1}})
    path = _output(name)
    with open(path, "wb") as fh:
        fh.write(base64.b64decode(shot["data"]))
    print("screenshot: %s" % path)
    return path


def _open_details(driver, details, inside):
    """Open a <details> and wait for what its (asynchronous) toggle event draws: the elements ``inside`` it."""
    if details.get_attribute("open") is None:
        details.find_element(By.TAG_NAME, "summary").click()
    return WebDriverWait(driver, 10).until(lambda unused: details.find_elements(By.CSS_SELECTOR, inside))


def _errors(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_report_loads_with_every_finding_and_no_script_error(browser, report):
    _open(browser, report)
    assert len(_rows(browser)) == len(report["data"]["findings"]) > 0
    assert browser.find_element(By.ID, "shown").text.startswith("%d of" % len(report["data"]["findings"]))
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    # Default order: most severe first.
    order = ["critical", "high", "medium", "low", "info"]
    severities = _column(browser, 0)
    assert severities == sorted(severities, key=order.index)


def test_clicking_a_header_sorts_and_clicking_again_reverses(browser, report):
    _open(browser, report)
    header = browser.find_element(By.CSS_SELECTOR, "th[data-key=name]")
    header.click()
    names = _column(browser, 2)
    assert names == sorted(names, key=str.lower)
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    assert _column(browser, 2) == sorted(names, key=str.lower, reverse=True)
    assert "sort=-name" in browser.current_url


def test_text_and_severity_filters_narrow_the_table(browser, report):
    _open(browser, report)
    box = browser.find_element(By.ID, "q")
    box.send_keys("gone")
    expected = [f for f in report["data"]["findings"] if "gone" in (f["name"] + f["detail"] + f["fix"]).lower()]
    assert len(_rows(browser)) == len(expected) > 0
    assert all("gone" in row.text.lower() for row in _rows(browser))
    box.clear()
    box.send_keys(" ")  # an input event: the filter is empty again apart from a space
    box.clear()
    Select(browser.find_element(By.ID, "severity")).select_by_value("critical")
    critical = [f for f in report["data"]["findings"] if f["severity"] == "critical"]
    rows = _rows(browser)
    assert len(rows) == len(critical) > 0
    assert set(_column(browser, 0)) == {"critical"}


def test_a_link_with_state_opens_the_same_view_and_a_screenshot_is_kept(browser, report):
    _open(browser, report, "#sort=-name&kind=dangling_cname")
    kinds = set(_column(browser, 1))
    assert kinds == {"dangling_cname"}
    names = _column(browser, 2)
    assert names == sorted(names, key=str.lower, reverse=True)
    _open(browser, report)
    path = _output("audit-report.png")
    assert browser.save_screenshot(path)
    print("screenshot: %s" % path)
    assert os.path.getsize(path) > 10000


# -- the ownership map -----------------------------------------------------------------------------


def _state_of(driver, name):
    found = driver.find_elements(By.CSS_SELECTOR, 'g.name[data-name="%s"]' % name)
    assert found, "%s is not drawn in the map" % name
    return found[0].get_attribute("data-state")


def test_the_map_draws_every_zone_and_marks_each_planted_problem(browser, report):
    _open(browser, report)
    ownership = report["data"]["ownership"]
    zones = browser.find_elements(By.CSS_SELECTOR, "#map details.zone")
    assert len(zones) == len(ownership["zones"]) + (1 if ownership["unzoned"] else 0)
    planted = report["planted"]
    states = {"dangling_cname": "dangling_cname", "dns_points_elsewhere": "dns_points_elsewhere",
              "overlapping_holders": "overlapping_holders", "alias_without_dns": "alias_without_dns"}
    for kind, state in states.items():
        for name in planted[kind]:
            assert _state_of(browser, name) == state, (kind, name)
    for name in planted["proxied_in_front"]:
        assert _state_of(browser, name) in ("proxied_in_front", "disabled_holder", "dns_points_elsewhere")
    # Drift: DNS to one distribution, a dashed line to the holder; dangling: DNS to a target marked missing.
    assert len(browser.find_elements(By.CSS_SELECTOR, "#map path.e-drift")) >= len(planted["dns_points_elsewhere"])
    assert len(browser.find_elements(By.CSS_SELECTOR, "#map path.e-dangling")) == len(planted["dangling_cname"])
    missing = browser.find_elements(By.CSS_SELECTOR, '#map g.node[data-kind="target"] rect.missing')
    assert len(missing) == 5  # the five gone* targets; the orphans point at a distribution that exists
    assert _errors(browser) == []


def test_healthy_names_are_counted_and_drawn_only_when_opened(browser, report):
    _open(browser, report)
    ownership = report["data"]["ownership"]
    healthy_total = sum(z["healthy"] for z in ownership["zones"]) + sum(
        1 for r in ownership["unzoned"] if not r["findings"])
    assert healthy_total > 0
    assert browser.find_elements(By.CSS_SELECTOR, "g[data-healthy-node]") == []
    problems = sum(z["problems"] for z in ownership["zones"]) + sum(1 for r in ownership["unzoned"] if r["findings"])
    assert len(browser.find_elements(By.CSS_SELECTOR, "#map g.name[data-name]")) == problems
    counted = 0
    for zone in browser.find_elements(By.CSS_SELECTOR, "#map details.zone"):
        if not int(zone.find_element(By.TAG_NAME, "summary").text.split(", ")[-1].split()[0]):
            continue  # no healthy name in this zone
        for fold in _open_details(browser, zone, "details.healthy"):
            groups = _open_details(browser, fold, "g[data-healthy-node]")
            assert sum(int(g.get_attribute("data-count")) for g in groups) == int(fold.get_attribute("data-count"))
            counted += int(fold.get_attribute("data-count"))
    assert counted == healthy_total
    # Account 1 was audited alone: account 2's partner distributions hold their names, as AWS said.
    outside = browser.find_elements(By.CSS_SELECTOR, '#map g.node[data-kind="outside"]')
    assert len(outside) == 3 and all("account ******" in o.text for o in outside)
    assert _errors(browser) == []


def test_clicking_a_name_in_the_map_shows_its_findings(browser, report):
    _open(browser, report)
    name = report["planted"]["dns_points_elsewhere"][0]
    browser.find_element(By.CSS_SELECTOR, 'g.name[data-name="%s"]' % name).click()
    assert browser.find_element(By.ID, "q").get_attribute("value") == name
    rows = _rows(browser)
    assert rows and all(name in row.text for row in rows)
    assert "dns_points_elsewhere" in _column(browser, 1)


def test_the_page_works_offline_and_loads_nothing(browser, report):
    with open(report["html"], encoding="utf-8") as fh:
        html = fh.read()
    # Nothing a browser would fetch: no http(s) at all, no src, no stylesheet link, no @import, no url() but #ids.
    assert not re.search(r"https?://", html)
    assert not re.search(r"\bsrc\s*=|<link\b|@import|url\((?!#)", html)
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
    try:
        _open(browser, report)
        assert browser.execute_script("return navigator.onLine") is False
        assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
        assert browser.find_elements(By.CSS_SELECTOR, "#map svg")
        assert len(_rows(browser)) == len(report["data"]["findings"])
        assert _errors(browser) == []
        path = _screenshot(browser, browser.find_element(By.ID, "map"), "audit-map.png")
        assert os.path.getsize(path) > 10000
    finally:
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def test_a_name_that_could_not_be_checked_is_said_on_the_page(browser, tmp_path):
    """A report with an unverified name, compared with an earlier one: the banners and the status column."""
    _audit, _report = _module_utils()

    records = [{"provider": "route53", "zone": "example.com", "account": "111111111111", "name": "old.example.com",
                "type": "CNAME", "values": ["dold0000000000.cloudfront.net"]}]
    inventory = {"account_id": "111111111111", "label": "prod", "distributions": [], "certificates": [],
                 "route53": [{"zone": "example.com", "record_sets": 1, "records": records}]}
    evidence = _audit.Evidence(targets={"dold0000000000.cloudfront.net": {
        "exists": None, "detail": "127.0.0.1:53 refused it"}})
    findings = _audit.find_problems([inventory], records, evidence=evidence)
    previous = {"schema": _audit.SCHEMA, "generated": "2026-11-26T00:00:00+00:00", "findings": [
        {"kind": "leftover_txt", "severity": "low", "name": "_x.example.com", "detail": "d", "fix": "f"}]}
    findings, resolved, changes = _audit.compare(findings, previous, "2026-11-27T00:00:00+00:00")
    html = tmp_path / "audit.html"
    html.write_text(_report.render_html(_synthetic_report([inventory], [], findings, evidence, resolved, changes)))
    browser.get("file://%s" % html)
    banner = browser.find_element(By.ID, "unverified-banner")
    assert banner.text.startswith("1 name could not be checked")
    assert "refused it" in banner.text
    assert "1 new, 1 resolved, 0 unchanged" in browser.find_element(By.ID, "changes-banner").text
    assert sorted(_column(browser, 6)) == ["new", "resolved"]
    Select(browser.find_element(By.ID, "status")).select_by_value("resolved")
    assert _column(browser, 2) == ["_x.example.com"]
    assert _state_of(browser, "old.example.com") == "unverified"
    assert _errors(browser) == []


# -- 1,000 distributions ----------------------------------------------------------------------------


def _module_utils():
    if collections_path() not in sys.path:
        sys.path.insert(0, collections_path())
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils import _audit, _report

    return _audit, _report


def _synthetic_report(inventories, dns_zones, findings, evidence, resolved=None, changes=None):
    from ansible_collections.aliasguard.cloudfront.plugins.module_utils import _ownership

    _audit, unused = _module_utils()

    counts = _audit.summary(findings)
    if changes:
        counts["changes"] = changes
    report = {"schema": _audit.SCHEMA, "generated": "2026-11-27T00:00:00+00:00",
              "accounts": [{"account_id": i["account_id"], "label": i["label"],
                            "distributions": len(i["distributions"]), "aliases": 0, "zones": len(i["route53"]),
                            "records": 0, "findings": 0} for i in inventories],
              "dns_sources": [], "findings": findings, "summary": counts, "requests": {"total": 0},
              "requests_lower_bound": {"total": 0},
              "ownership": _ownership.ownership_map(inventories, dns_zones, findings, evidence)}
    if resolved is not None:
        report["resolved"] = resolved
    return report


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """1,000 distributions x 3 names in four zones, every fiftieth name's DNS pointing at the next distribution."""
    _audit, _report = _module_utils()
    zones = ["a.example", "b.example", "c.example", "d.example"]
    distributions, records = [], []
    for i in range(1000):
        zone = zones[i % 4]
        names = ["s%d-%d.%s" % (i, k, zone) for k in range(3)]
        distributions.append({"id": "E%013d" % i, "domain_name": "d%013d.cloudfront.net" % i, "enabled": True,
                              "aliases": names})
        for k, name in enumerate(names):
            target = "d%013d.cloudfront.net" % ((i + 4) % 1000 if (i * 3 + k) % 50 == 0 else i)
            records.append({"provider": "route53", "zone": zone, "account": "111111111111", "name": name,
                            "type": "CNAME", "values": [target]})
    inventory = {"account_id": "111111111111", "label": "prod", "distributions": distributions, "certificates": [],
                 "route53": [{"zone": z, "record_sets": 750, "records": [r for r in records if r["zone"] == z]}
                             for z in zones]}
    evidence = _audit.Evidence()
    findings = _audit.find_problems([inventory], records, evidence=evidence)
    report = _synthetic_report([inventory], [], findings, evidence)
    path = tmp_path_factory.mktemp("large") / "audit.html"
    path.write_text(_report.render_html(report))
    return {"html": str(path), "data": report}


def test_a_thousand_distributions_draw_only_the_problems_until_asked(browser, large):
    ownership = large["data"]["ownership"]
    problems = sum(z["problems"] for z in ownership["zones"])
    assert problems == 60 and sum(z["healthy"] for z in ownership["zones"]) == 2940
    browser.get("file://" + large["html"])
    assert len(browser.find_elements(By.CSS_SELECTOR, "#map g.name[data-name]")) == problems
    assert browser.find_elements(By.CSS_SELECTOR, "g[data-healthy-node]") == []
    assert len(browser.find_elements(By.CSS_SELECTOR, "#map details.zone[open]")) == 4
    states = set(g.get_attribute("data-state") for g in browser.find_elements(By.CSS_SELECTOR, "#map g.name"))
    assert states == {"dns_points_elsewhere"}
    _screenshot(browser, browser.find_element(By.ID, "map"), "audit-map-1000.png")
    fold = browser.find_element(By.CSS_SELECTOR, '#map details.zone[data-zone="a.example"] details.healthy')
    groups = _open_details(browser, fold, "g[data-healthy-node]")
    # Healthy names are drawn one line per distribution (250 in this zone, each with at least two healthy
    # names), with the count, not one line per name.
    assert len(groups) == 250
    assert sum(int(g.get_attribute("data-count")) for g in groups) == ownership["zones"][0]["healthy"]
    assert _errors(browser) == []
