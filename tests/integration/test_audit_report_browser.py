"""The audit's HTML report in a real browser (Debian's headless Chromium, driven by Selenium).

It must load from a file with no server, sort when a column header is clicked, filter by
text and by severity, keep that state in the URL, and raise no script error. A screenshot
is kept in tests/output/.
"""

import json
import os
import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import ROOT, run_playbook

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def report(sandbox, tmp_path_factory):
    sandbox.scenario("fleet", distributions=30, aliases_per_distribution=2)
    out = tmp_path_factory.mktemp("report")
    env = sandbox.aws_env()
    env.update({"CLOUDFLARE_API_TOKEN": sandbox.endpoints["cloudflare"]["api_token"],
                "CLOUDFLARE_BASE_URL": sandbox.endpoints["cloudflare"]["base_url"]})
    extra_vars = {"report_dir": str(out), "cloudflare_zones": ["fleet-d.example"],
                  "verify_nameservers": [sandbox.dns_server]}
    run = run_playbook("aliasguard.cloudfront.audit", extra_vars, env=env)
    assert run.returncode == 0, run.stdout[-3000:]
    with open(out / "audit.json", encoding="utf-8") as fh:
        return {"html": str(out / "audit.html"), "data": json.load(fh)}


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
    out = os.path.join(ROOT, "tests", "output")
    os.makedirs(out, exist_ok=True)
    _open(browser, report)
    path = os.path.join(out, "audit-report.png")
    assert browser.save_screenshot(path)
    assert os.path.getsize(path) > 10000
