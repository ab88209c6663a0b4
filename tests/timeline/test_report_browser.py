"""The HTML report of the real tag history, opened in headless Chromium.

The history comes from replaying tests/assets/official-images-tag-history.csv through the store
(tests/timeline/replay.py); the page is written by the real `driftwatch report --html` command.
Screenshots (light, dark, print) land in the test's own folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from driftwatch.history import HistoryStore
from tests.clirun import run_driftwatch
from tests.tag_history import expected_release_moves, history_rows
from tests.timeline.browser import chromium, console_problems, full_page_png, requested_urls
from tests.timeline.replay import replay


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{folder / 'replay.db'}"
    store = HistoryStore.open(url)
    replay(store)
    store.close()
    page = folder / "report.html"
    done = run_driftwatch(folder, "report", "--db", url, "--html", str(page))
    assert done.returncode == 0, done.stderr
    return page


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as driver:
        yield driver


def _open(driver: object, page: Path) -> None:
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    driver.get_log("browser")  # type: ignore[attr-defined]


def test_the_page_loads_nothing_and_logs_no_error(
    browser: object, report_file: Path, tmp_path: Path
) -> None:
    driver = browser
    driver.get("about:blank")  # type: ignore[attr-defined]
    driver.get_log("browser")  # type: ignore[attr-defined]  # what earlier tests left behind
    driver.get_log("performance")  # type: ignore[attr-defined]
    driver.get(report_file.as_uri())  # type: ignore[attr-defined]
    assert driver.find_element(By.ID, "overview")  # type: ignore[attr-defined]
    assert requested_urls(driver) == [report_file.as_uri()]  # type: ignore[arg-type]
    resources = driver.execute_script(  # type: ignore[attr-defined]
        "return performance.getEntriesByType('resource').length"
    )
    assert resources == 0
    assert console_problems(driver) == []  # type: ignore[arg-type]
    (tmp_path / "report.png").write_bytes(full_page_png(driver))  # type: ignore[arg-type]


def test_one_release_mark_per_release_move_of_the_data(browser: object, report_file: Path) -> None:
    driver = browser
    _open(driver, report_file)
    marks = driver.find_elements(By.CSS_SELECTOR, ".mark.os-release")  # type: ignore[attr-defined]
    assert len(marks) == len(expected_release_moves(history_rows())) == 31
    names = [mark.get_attribute("aria-label") for mark in marks]
    assert all(name and "os-release" in name and " -> " in name for name in names)
    every = driver.find_elements(By.CSS_SELECTOR, ".mark")  # type: ignore[attr-defined]
    assert all(mark.get_attribute("tabindex") == "0" for mark in every)
    assert all(mark.get_attribute("aria-label") for mark in every)


def test_python_3_12_slim_moves_from_bookworm_to_trixie_on_2025_08_11(
    browser: object, report_file: Path
) -> None:
    driver = browser
    _open(driver, report_file)
    bands = driver.execute_script(  # type: ignore[attr-defined]
        """
        const title = [...document.querySelectorAll('section.ref h2')]
            .find(h => h.textContent === 'python:3.12-slim');
        const row = title.closest('section').querySelector('.row[data-platform="linux/amd64"]');
        return [...row.querySelectorAll('rect.band')].map(b => {
            const box = b.getBBox();
            return [b.dataset.release, b.dataset.start, b.dataset.end, box.x, box.x + box.width];
        });
        """
    )
    assert [band[0] for band in bands] == ["bookworm", "trixie"]
    (_, _, bookworm_end, _, bookworm_right), (_, trixie_start, _, trixie_left, _) = bands
    assert bookworm_end == trixie_start == "2025-08-11T23:47:10Z"
    assert bookworm_right == pytest.approx(trixie_left, abs=0.15)
    colour = driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.querySelectorAll('rect.band[data-release=trixie]')]"
        ".map(b => getComputedStyle(b).fill)"
    )
    assert len(set(colour)) == 1  # one colour per codename, everywhere


def test_marks_are_reachable_by_keyboard_and_tell_the_event(
    browser: object, report_file: Path, tmp_path: Path
) -> None:
    driver = browser
    _open(driver, report_file)
    keys = ActionChains(driver)  # type: ignore[arg-type]
    for _ in range(200):
        keys.send_keys(Keys.TAB).perform()
        active = driver.switch_to.active_element  # type: ignore[attr-defined]
        if "mark" in (active.get_attribute("class") or ""):
            break
    else:
        pytest.fail("no mark reached with the Tab key")
    tip = driver.find_element(By.ID, "tip")  # type: ignore[attr-defined]
    assert tip.is_displayed()
    assert " -> " in tip.text and "UTC" in tip.text
    (tmp_path / "focused-mark.png").write_bytes(full_page_png(driver))  # type: ignore[arg-type]
    keys.send_keys(Keys.ESCAPE).perform()
    assert not tip.is_displayed()
    band = driver.find_element(By.CSS_SELECTOR, "rect.band[data-release=bookworm]")  # type: ignore[attr-defined]
    ActionChains(driver).move_to_element(band).perform()  # type: ignore[arg-type]
    assert tip.is_displayed() and "Debian 12 (bookworm)" in tip.text
    assert "new digest" in tip.text


def test_the_overview_sorts_by_days_since_the_last_move(browser: object, report_file: Path) -> None:
    driver = browser
    _open(driver, report_file)
    header = driver.find_element(  # type: ignore[attr-defined]
        By.XPATH, "//table[@id='overview']//th[button[text()='Last move']]"
    )
    header.find_element(By.TAG_NAME, "button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    days = driver.execute_script(  # type: ignore[attr-defined]
        "return [...document.querySelectorAll('#overview tbody tr')]"
        ".map(r => +r.cells[2].dataset.v)"
    )
    assert days == sorted(days) and len(days) == 23
    header.find_element(By.TAG_NAME, "button").click()
    assert header.get_attribute("aria-sort") == "descending"


def test_dark_and_print_renderings(browser: object, report_file: Path, tmp_path: Path) -> None:
    driver = browser
    _open(driver, report_file)
    media = {"dark": ("screen", "dark"), "print": ("print", "light")}
    backgrounds = {}
    for name, (kind, scheme) in media.items():
        driver.execute_cdp_cmd(  # type: ignore[attr-defined]
            "Emulation.setEmulatedMedia",
            {"media": kind, "features": [{"name": "prefers-color-scheme", "value": scheme}]},
        )
        backgrounds[name] = driver.execute_script(  # type: ignore[attr-defined]
            "return getComputedStyle(document.body).backgroundColor"
        )
        (tmp_path / f"report-{name}.png").write_bytes(full_page_png(driver))  # type: ignore[arg-type]
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": []})  # type: ignore[attr-defined]
    assert backgrounds == {"dark": "rgb(21, 24, 29)", "print": "rgb(255, 255, 255)"}
    opened = driver.execute_script(  # type: ignore[attr-defined]
        "window.dispatchEvent(new Event('beforeprint'));"
        "return [...document.querySelectorAll('details')].map(d => d.open)"
    )
    assert opened and all(opened)  # the event tables print in place of the tooltips
    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})  # type: ignore[attr-defined]
    assert len(pdf["data"]) > 10_000
    assert console_problems(driver) == []  # type: ignore[arg-type]


def test_the_checks_would_see_a_request(browser: object, report_file: Path, tmp_path: Path) -> None:
    """Controls: a page that asks for something shows in the logs the tests read."""
    driver = browser
    page = report_file.read_text()
    asking = '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">\n</head>'
    with_csp = tmp_path / "with-csp.html"
    with_csp.write_text(page.replace("</head>", asking, 1))
    driver.get_log("browser")  # type: ignore[attr-defined]
    driver.get(with_csp.as_uri())  # type: ignore[attr-defined]
    assert any("Content Security Policy" in p for p in console_problems(driver))  # type: ignore[arg-type]
    without = tmp_path / "without-csp.html"
    start = page.index('<meta http-equiv="Content-Security-Policy"')
    stripped = page[:start] + page[page.index(">", start) + 1 :]
    without.write_text(stripped.replace("</head>", asking, 1))
    driver.get_log("performance")  # type: ignore[attr-defined]
    driver.get(without.as_uri())  # type: ignore[attr-defined]
    assert "http://127.0.0.1:9/x.css" in requested_urls(driver)  # type: ignore[arg-type]
    driver.get("about:blank")  # type: ignore[attr-defined]  # leave no log to the next test
    driver.get_log("browser")  # type: ignore[attr-defined]


def test_timelines_fit_a_printed_page(browser: object, report_file: Path) -> None:
    driver = browser
    _open(driver, report_file)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})  # type: ignore[attr-defined]
    driver.set_window_size(700, 900)  # type: ignore[attr-defined]
    try:
        widths = driver.execute_script(  # type: ignore[attr-defined]
            "return [document.documentElement.clientWidth,"
            " Math.max(...[...document.querySelectorAll('svg.timeline')]"
            ".map(s => s.getBoundingClientRect().right))]"
        )
    finally:
        driver.set_window_size(1280, 1000)  # type: ignore[attr-defined]
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})  # type: ignore[attr-defined]
    page, right = widths
    assert right <= page


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_accessibility_violation(
    browser: object, report_file: Path, scheme: str
) -> None:
    """axe-core (bundled by axe-selenium-python, injected locally): names, contrast, landmarks."""
    from axe_selenium_python import Axe

    driver = browser
    driver.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )
    try:
        _open(driver, report_file)
        axe = Axe(driver)
        axe.inject()
        violations = axe.run()["violations"]
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})  # type: ignore[attr-defined]
    assert [(v["id"], v["nodes"][0]["html"][:120]) for v in violations] == []
