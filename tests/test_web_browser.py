"""The site in headless Chromium (Debian's chromium + chromium-driver, driven by Selenium).

A new user's path, on SQLite and PostgreSQL: home → topic → article, search in Russian and
Japanese, filter, follow a story to another outlet, page through; scraped ``<script>``,
``onerror=`` and ``javascript:`` payloads stay inert. Screenshots are kept in the test's
temporary directory (``screenshots/``). Skipped when chromium or chromedriver is missing,
unless ``WIREWATCH_REQUIRE_CHROMIUM=1`` (CI), which makes that a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.webdata import WebData
from tests.webserver import site_for

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402


def _binaries() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        reason = (
            "chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
        )
        if os.environ.get("WIREWATCH_REQUIRE_CHROMIUM") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return chromium, driver


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def browser(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, str, WebData, Path]]:
    """A headless Chromium, the base URL of a running site, its data, a screenshot folder."""
    chromium, driver_path = _binaries()
    tmp = tmp_path_factory.mktemp(f"browser-{request.param}")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--lang=en-US",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
    ):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp / 'profile'}")
    service = webdriver.ChromeService(
        executable_path=driver_path, log_output=str(tmp / "driver.log")
    )
    with site_for(request.param, request, tmp) as (base, data):
        driver = webdriver.Chrome(options=options, service=service)
        driver.set_page_load_timeout(60)
        shots = tmp / "screenshots"
        shots.mkdir()
        try:
            yield driver, base, data, shots
        finally:
            driver.quit()


def _shot(driver: Any, shots: Path, name: str) -> None:
    path = shots / f"{name}.png"
    assert driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _no_alert(driver: Any) -> None:
    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return
    text = alert.text
    alert.dismiss()
    pytest.fail(f"a scraped script ran: alert({text!r})")


def test_home_topic_article_and_the_story_elsewhere(browser) -> None:
    driver, base, data, shots = browser
    driver.get(base + "/")
    _shot(driver, shots, "home")
    assert driver.title.startswith("Topics")
    driver.find_element(By.LINK_TEXT, "Kuril Islands dispute").click()
    WebDriverWait(driver, 30).until(expected_conditions.url_to_be(base + "/topics/kuril"))
    _shot(driver, shots, "topic")
    atom = driver.find_element(By.PARTIAL_LINK_TEXT, "Subscribe")
    assert atom.get_attribute("href").endswith("/topics/kuril.atom")
    feed_link = driver.find_element(
        By.CSS_SELECTOR, "link[rel=alternate][type='application/atom+xml']"
    )
    assert feed_link.get_attribute("href").endswith("/topics/kuril.atom")
    driver.find_element(By.LINK_TEXT, "Russia deploys missile systems on the Kuril Islands").click()
    WebDriverWait(driver, 30).until(expected_conditions.url_contains(f"/articles/{data.wire_tass}"))
    marks = [m.text for m in driver.find_elements(By.CSS_SELECTOR, ".text mark")]
    assert "southern Kuril Islands" in marks and "Kurils" in marks and "Kunashir" in marks
    assert driver.find_element(By.CSS_SELECTOR, "table.evidence").is_displayed()
    _shot(driver, shots, "article")
    story = driver.find_element(By.CSS_SELECTOR, "section.story")
    other = story.find_element(By.PARTIAL_LINK_TEXT, "disputed Kuril Islands")
    other.click()
    WebDriverWait(driver, 30).until(
        expected_conditions.url_contains(f"/articles/{data.wire_kyodo}")
    )
    assert driver.current_url.endswith(f"/articles/{data.wire_kyodo}")
    assert "kyodo-en" in driver.find_element(By.CSS_SELECTOR, "dl.facts").text
    back = driver.find_element(By.CSS_SELECTOR, "section.story").text
    assert "tass-en" in back


def test_search_in_russian_and_japanese_then_filter(browser) -> None:
    driver, base, _, shots = browser
    driver.get(base + "/")
    box = driver.find_element(By.CSS_SELECTOR, "form.quick input[name=q]")
    box.send_keys("Кунашир\n")
    WebDriverWait(driver, 30).until(expected_conditions.url_contains("/search?"))
    titles = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".results .title")]
    assert titles == ["Японию возмутили учения на Кунашире"]
    _shot(driver, shots, "search-ru")
    box = driver.find_element(By.CSS_SELECTOR, "form.filters input[name=q]")
    box.clear()
    box.send_keys("国後\n")
    WebDriverWait(driver, 30).until(expected_conditions.url_contains("%E5%9B%BD"))
    titles = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".results .title")]
    assert titles == ["北方領土でロシア軍が演習 日本政府が抗議"]
    _shot(driver, shots, "search-ja")
    driver.get(base + "/topics/kuril")
    select = driver.find_element(By.CSS_SELECTOR, "form.filters select[name=source]")
    Select(select).select_by_visible_text("kyodo-en")
    driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    WebDriverWait(driver, 30).until(expected_conditions.url_contains("source=kyodo-en"))
    sources = {e.text for e in driver.find_elements(By.CSS_SELECTOR, ".results .source")}
    assert sources == {"kyodo-en"}
    _shot(driver, shots, "filtered")


def test_page_through_a_topic(browser) -> None:
    driver, base, _, shots = browser
    driver.get(base + "/topics/kuril")
    seen: list[str] = []
    for _ in range(10):
        seen += [
            e.get_attribute("href")
            for e in driver.find_elements(By.CSS_SELECTOR, ".results .title")
        ]
        older = driver.find_elements(By.CSS_SELECTOR, "a[rel=next]")
        if not older:
            break
        current = driver.current_url
        older[0].click()
        WebDriverWait(driver, 30).until(expected_conditions.url_changes(current))
    _shot(driver, shots, "last-page")
    assert len(seen) == len(set(seen)) == 50


def test_scraped_payloads_stay_inert(browser) -> None:
    driver, base, data, shots = browser
    for path in (f"/articles/{data.xss}", "/topics/kuril", "/search?q=Kuril"):
        driver.get(base + path)
        _no_alert(driver)
        scripts = [s.get_attribute("src") for s in driver.find_elements(By.TAG_NAME, "script")]
        assert scripts == [base + "/static/localtime.js"]
        assert not driver.find_elements(By.CSS_SELECTOR, "[onerror], img[src='x']")
        hrefs = [a.get_attribute("href") or "" for a in driver.find_elements(By.TAG_NAME, "a")]
        assert not [h for h in hrefs if h.lower().startswith("javascript:")]
    driver.get(base + f"/articles/{data.xss}")
    assert "<script>alert('title')</script>" in driver.find_element(By.TAG_NAME, "h1").text
    _shot(driver, shots, "xss")
