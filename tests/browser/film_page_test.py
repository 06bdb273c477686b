#!/usr/bin/env python3
"""Browser test of the viewer: Debian's Chromium, headless, driven by Selenium (chromium-driver).

Builds the demo archive with `palimpsest demo`, serves it with `palimpsest serve` on a loopback
port, and makes sure there is a rendered demo film (the one `demo` made, else data/demo.fountain
posted to POST /api/v1/films at a small size, rendered by the server's job worker). Then it opens
the film page, steps frames with the arrow keys and the buttons, and checks that the provenance
panel follows the frame and links to the records, that the record page shows the reverse
provenance, and saves screenshots as test artefacts. Then the viewer's other parts: the attribution
map's legend (hover highlights a record in the legend and the panel both ways), the shot strip
(click jumps to the shot), find-similar (the API's order), the search filters, the paged records
browser, the image-search state, and a render whose process died (`make` killed by
PALIMPSEST_CRASH_AT_FRAME, its progress an hour old) shown as "stopped".

Exit status: 0 passed, 1 failed, 77 skipped (Chromium, chromedriver or Selenium missing outside
CI; in CI, CI=true, a missing browser is a failure).

usage: film_page_test.py PALIMPSEST_BINARY SOURCE_DIR ARTIFACTS_DIR
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77


def missing_browser(reason):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        print(f"FAIL: {reason} (CI=true: the browser test must run; scripts/setup.sh installs "
              "chromium chromium-driver python3-selenium)", file=sys.stderr)
        sys.exit(1)
    print(f"SKIPPED: {reason}; install chromium chromium-driver python3-selenium "
          "(scripts/setup.sh) to run the browser test", file=sys.stderr)
    sys.exit(SKIP)


def find_browser():
    try:
        from selenium import webdriver  # noqa: F401
    except ImportError:
        missing_browser(f"Selenium is not importable by {sys.executable}")
    chromium = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium", shutil.which("chromium-browser"))
                     if p and os.path.exists(p)), None)
    driver = next((p for p in (shutil.which("chromedriver"), "/usr/bin/chromedriver") if p and os.path.exists(p)), None)
    if not chromium:
        missing_browser("chromium is not installed")
    if not driver:
        missing_browser("chromedriver (chromium-driver) is not installed")
    return chromium, driver


def http_json(url, method="GET", body=None, token=None, timeout=30):
    req = urllib.request.Request(url, method=method, data=body)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=timeout) as res:
        return json.loads(res.read().decode())


class Server:
    def __init__(self, binary, db, token):
        self.log = tempfile.NamedTemporaryFile("w+", prefix="palimpsest-serve-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([binary, "--db", db, "serve", "--port", "0", "--token", token],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        self.base = None
        while time.time() < deadline and self.base is None:
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited: " + self.output())
            m = re.search(r"on (http://127\.0\.0\.1:\d+)/", self.output())
            if m:
                self.base = m.group(1)
            else:
                time.sleep(0.1)
        if not self.base:
            raise RuntimeError("the server did not say where it listens: " + self.output())

    def output(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def ensure_film(server, source_dir, token):
    """A rendered film with at least 3 frames: the demo's own, else one rendered now."""
    for f in http_json(server.base + "/api/v1/films?limit=50")["films"]:
        if f["status"] == "done" and f["frames_rendered"] >= 3:
            return f["id"]
    with open(os.path.join(source_dir, "data", "demo.fountain")) as f:
        manuscript = f.read()
    body = json.dumps({"manuscript": manuscript, "format": "fountain", "size": "96x64", "fps": 2,
                       "steps": 6, "denoiser": "global"}).encode()
    film = http_json(server.base + "/api/v1/films", "POST", body, token)
    print(f"rendering demo film {film['id']} ({film['frame_count']} frames) through POST /api/v1/films")
    deadline = time.time() + 420
    while time.time() < deadline:
        f = http_json(f"{server.base}/api/v1/films/{film['id']}?timeline=0")
        if f["status"] == "done":
            return f["id"]
        if f["status"] == "failed" or (f["job"] and f["job"]["state"] in ("failed", "cancelled")):
            raise RuntimeError("the demo film failed to render: " + json.dumps(f))
        time.sleep(0.5)
    raise RuntimeError("the demo film did not render in time")


STALE_MANUSCRIPT = "A red circle over the sea. [[duration: 2s]]\n\nA blue square in the snow. [[duration: 2s]]\n"


def make_stale_film(binary, db, work):
    """A film whose render died: `make` killed (SIGKILL) after frame 2, its last progress made an
    hour old. Returns its id."""
    manuscript = os.path.join(work, "stale.txt")
    with open(manuscript, "w") as f:
        f.write(STALE_MANUSCRIPT)
    env = dict(os.environ, PALIMPSEST_CRASH_AT_FRAME="2")
    made = subprocess.run([binary, "--db", db, "make", manuscript, "--size", "64x48", "--fps", "2", "--steps", "2",
                           "--no-sound", "--out-dir", os.path.join(work, "stale-film"), "-q"],
                          capture_output=True, text=True, timeout=300, env=env)
    if made.returncode != -9:
        raise RuntimeError(f"make was to be killed at frame 2, it exited {made.returncode}: {made.stderr[-2000:]}")
    with sqlite3.connect(db) as conn:
        (film_id,) = conn.execute("SELECT max(id) FROM films").fetchone()
        (status,) = conn.execute("SELECT status FROM films WHERE id = ?", (film_id,)).fetchone()
        if status != "rendering":
            raise RuntimeError(f"the killed render left film {film_id} {status}, not rendering")
        conn.execute("UPDATE films SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour') WHERE id = ?",
                     (film_id,))
    return film_id


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    binary, source_dir, artifacts = sys.argv[1:]
    chromium, driver_path = find_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    os.makedirs(artifacts, exist_ok=True)
    work = tempfile.mkdtemp(prefix="palimpsest-browser-")
    token = "browser-test-token"
    server = None
    browser = None
    ok = False
    try:
        # A folder from `palimpsest demo --out` (quicker reruns; the test adds its stopped film to it).
        reuse = os.environ.get("PALIMPSEST_BROWSER_DEMO")
        if reuse:
            db = os.path.join(reuse, "palimpsest.db")
        else:
            db = os.path.join(work, "palimpsest.db")
            # The demo archive without its full-size film: the server renders the demo manuscript
            # small through POST /api/v1/films (ensure_film), which keeps the test short.
            demo = subprocess.run([binary, "--db", db, "demo", "--out", work, "--no-film"],
                                  capture_output=True, text=True, timeout=900)
            if demo.returncode != 0:
                demo = subprocess.run([binary, "--db", db, "demo", "--out", work],
                                      capture_output=True, text=True, timeout=900)
            if demo.returncode != 0:
                raise RuntimeError(f"palimpsest demo failed ({demo.returncode}): {demo.stdout}\n{demo.stderr}")
        stale_id = make_stale_film(binary, db, work)
        server = Server(binary, db, token)
        film_id = ensure_film(server, source_dir, token)
        frames = http_json(f"{server.base}/api/v1/films/{film_id}/frames")["frames"]
        print(f"film {film_id}: {len(frames)} frames at {server.base}")

        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--window-size=1280,900", "--no-first-run", "--disable-extensions"):
            options.add_argument(arg)
        browser = webdriver.Chrome(service=Service(driver_path), options=options)
        browser.set_page_load_timeout(60)
        wait = WebDriverWait(browser, 30)

        # Films list -> the film.
        browser.get(server.base + "/#/films")
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, f'#film-list a[href="#/film/{film_id}"]'))
        browser.find_element(By.CSS_SELECTOR, f'#film-list a[href="#/film/{film_id}"]').click()

        def panel_frame():
            p = browser.find_elements(By.ID, "provenance")
            return p[0].get_attribute("data-frame") if p else None

        def panel_state():
            panel = browser.find_element(By.ID, "provenance")
            items = [(li.get_attribute("data-record"), li.text) for li in panel.find_elements(By.CSS_SELECTOR, "li.prov-item")]
            return panel.get_attribute("data-frame"), browser.find_element(By.ID, "shot-line").text, items

        wait.until(lambda b: panel_frame() == str(frames[0]["frame"]))
        first = panel_state()
        assert first[2], "the provenance panel lists no records for the first frame"
        assert browser.find_element(By.ID, "frame-image").get_attribute("src").endswith(f"/frames/{frames[0]['frame']}.png")
        links = browser.find_elements(By.CSS_SELECTOR, "#provenance a.record-link")
        assert links, "the provenance panel has no links to records"
        assert all(re.search(r"#/record/\d+$", a.get_attribute("href")) for a in links)
        # Below the frame's own weights, what the whole shot drew on (the film provenance's shares).
        film_prov = http_json(f"{server.base}/api/v1/films/{film_id}/provenance")
        shot_index = next(s["index"] for s in film_prov["shots"]
                          if s["start_frame"] <= frames[0]["frame"] < s["end_frame"])
        shot_shares = next(s["shares"] for s in film_prov["shots"] if s["index"] == shot_index)
        assert shot_shares, "the film provenance has no shares for the first frame's shot"
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#shot-shares li.prov-item"))
        summary = browser.find_element(By.CSS_SELECTOR, "#shot-shares summary").text
        assert summary.startswith(f"Whole shot: {len(shot_shares)} records"), summary
        shown = [li.get_attribute("data-record") for li in browser.find_elements(By.CSS_SELECTOR, "#shot-shares li.prov-item")]
        assert shown == [str(s["record_id"]) for s in shot_shares[:8]], (shown, shot_shares[:8])
        browser.save_screenshot(os.path.join(artifacts, "film_page.png"))

        # Step with the keyboard: the panel follows the frame.
        seen = {first[0]: first}
        body = browser.find_element(By.TAG_NAME, "body")
        for step in range(1, min(len(frames), 6)):
            body.send_keys(Keys.ARROW_RIGHT)
            expected = str(frames[step]["frame"])
            wait.until(lambda b: panel_frame() == expected)
            seen[expected] = panel_state()
            assert browser.find_element(By.ID, "frame-label").text.startswith(f"Frame {expected} ")
            assert f"#/film/{film_id}/{expected}" in browser.current_url
        # The panel is about the frame: its record weights (or the shot line) change along the film.
        contents = {(s[1], tuple(s[2])) for s in seen.values()}
        assert len(contents) > 1, f"the provenance panel did not change with the frame: {seen}"
        # Arrow left and the buttons step back.
        body.send_keys(Keys.ARROW_LEFT)
        back = str(frames[min(len(frames), 6) - 2]["frame"])
        wait.until(lambda b: panel_frame() == back)
        browser.find_element(By.ID, "prev-frame").click()
        wait.until(lambda b: panel_frame() == str(frames[min(len(frames), 6) - 3]["frame"]))
        # End jumps to the last frame; a later shot has another line.
        body.send_keys(Keys.END)
        last = str(frames[-1]["frame"])
        wait.until(lambda b: panel_frame() == last)
        last_state = panel_state()
        if len(http_json(f"{server.base}/api/v1/films/{film_id}?timeline=0")["shots"]) > 1:
            assert last_state[1] != first[1], "the shot line did not change between the first and the last frame"
        # The attribution map overlay toggles with M when the frame has a map.
        overlay = browser.find_element(By.ID, "map-overlay")
        if frames[-1]["has_map"]:
            body.send_keys("m")
            wait.until(lambda b: overlay.is_displayed())
            browser.save_screenshot(os.path.join(artifacts, "film_page_map.png"))
            body.send_keys("m")
            wait.until(lambda b: not overlay.is_displayed())

        # A record link leads to the record page and its reverse provenance back to this film.
        link = browser.find_element(By.CSS_SELECTOR, "#provenance a.record-link")
        record_id = link.get_attribute("data-record")
        link.click()
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#reverse-provenance a.use-link"))
        uses = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#reverse-provenance a.use-link")]
        assert any(f"#/film/{film_id}/" in u for u in uses), f"record {record_id} does not link back to film {film_id}: {uses[:5]}"
        browser.save_screenshot(os.path.join(artifacts, "record_page.png"))

        check_viewer_parts(browser, wait, server, film_id, stale_id, frames, work, artifacts)

        errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"] if hasattr(browser, "get_log") else []
        assert not errors, f"console errors: {errors}"
        print(f"PASS: stepped {len(seen)} frames of film {film_id}; screenshots in {artifacts}")
        ok = True
    except Exception as e:  # noqa: BLE001 - report anything as a test failure
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr)
        if browser:
            try:
                browser.save_screenshot(os.path.join(artifacts, "film_page_failure.png"))
            except Exception:  # noqa: BLE001
                pass
        if server:
            print("server output (tail):\n" + server.output()[-4000:], file=sys.stderr)
    finally:
        if browser:
            browser.quit()
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


def check_viewer_parts(browser, wait, server, film_id, stale_id, frames, work, artifacts):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    # Pages re-render when their data arrives: an element found a moment ago may be gone.
    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))

    def css(selector):
        return browser.find_elements(By.CSS_SELECTOR, selector)

    def cards(selector):
        """(record id, text) of the cards now on the page, read in one go."""
        return browser.execute_script(
            "return [...document.querySelectorAll(arguments[0])].map((c) => [Number(c.dataset.record), c.innerText]);",
            selector)

    def hover(element):
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        ActionChains(browser).move_to_element(element).perform()

    def panel_frame():
        p = css("#provenance")
        return p[0].get_attribute("data-frame") if p else None

    # The legend: one item per record lending the frame pixels, in the colour the API gives it.
    first = frames[0]["frame"]
    browser.get(f"{server.base}/#/film/{film_id}/{first}")
    wait.until(lambda b: panel_frame() == str(first) and css("#map-legend li"))
    prov = http_json(f"{server.base}/api/v1/films/{film_id}/frames/{first}/provenance")
    pixel = {str(e["record_id"]): e["colour"] for e in prov["entries"] if e["role"] != "guidance"}
    legend = {li.get_attribute("data-record"): li.get_attribute("data-colour") for li in css("#map-legend li")}
    assert legend == pixel, (legend, pixel)
    # Hover a legend item: its record lights up in the panel; hover a panel item: in the legend.
    record = next(iter(legend))
    hover(css(f'#map-legend li[data-record="{record}"]')[0])
    wait.until(lambda b: all("highlight" in li.get_attribute("class")
                             for li in css(f'#provenance li.prov-item[data-record="{record}"]')))
    assert not [li for li in css("#provenance li.prov-item.highlight") if li.get_attribute("data-record") != record]
    other = next((r for r in legend if r != record), record)
    hover(css(f'#provenance li.prov-item[data-record="{other}"]')[0])
    wait.until(lambda b: "highlight" in css(f'#map-legend li[data-record="{other}"]')[0].get_attribute("class"))
    browser.save_screenshot(os.path.join(artifacts, "film_legend.png"))

    # The shot strip: a button per shot; a click jumps to the shot's first rendered frame.
    film = http_json(f"{server.base}/api/v1/films/{film_id}?timeline=0")
    shots = css("#shot-strip .shot")
    assert len(shots) == len(film["shots"]), (len(shots), len(film["shots"]))
    rendered = [f["frame"] for f in frames]
    target = next(s for s in reversed(film["shots"]) if any(s["start_frame"] <= n < s["end_frame"] for n in rendered))
    expected = next(n for n in rendered if target["start_frame"] <= n < target["end_frame"])
    css(f'#shot-strip .shot[data-shot="{target["index"]}"]')[0].click()
    wait.until(lambda b: panel_frame() == str(expected))
    assert "current" in css(f'#shot-strip .shot[data-shot="{target["index"]}"]')[0].get_attribute("class")
    assert browser.find_element(By.ID, "shot-line").text.strip() == (target.get("raw_text") or target["text"]).strip()
    assert css("#credits-csv") and css("#credits-html")
    if http_json(f"{server.base}/api/v1/films/{film_id}/metrics")["frames"]:
        wait.until(lambda b: css("#metrics-plot polyline"))

    # Find similar on a record page: the API's nearest records, in its order.
    rid = next(int(r) for r in legend if int(r) > 0)
    browser.get(f"{server.base}/#/record/{rid}")
    wait.until(lambda b: css("#find-similar"))
    css("#find-similar")[0].click()
    wait.until(lambda b: cards("#similar-results .card"))
    shown = [r for r, _ in cards("#similar-results .card")]
    api_order = [r["id"] for r in http_json(f"{server.base}/api/v1/records/{rid}/similar?k=12")["results"]]
    assert shown == api_order and rid not in shown, (shown, api_order)

    # Search filters: kind and mode are in the hash and every hit is of that kind.
    browser.get(f"{server.base}/#/films")
    wait.until(lambda b: css("#film-list"))
    browser.find_element(By.ID, "q").send_keys("red circle")
    Select(browser.find_element(By.ID, "kind")).select_by_value("subtitle")
    Select(browser.find_element(By.ID, "mode")).select_by_value("lexical")
    browser.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()
    wait.until(lambda b: cards("#search-results .card") or "Nothing found" in b.find_element(By.ID, "view").text)
    assert "kind=subtitle" in browser.current_url and "mode=lexical" in browser.current_url, browser.current_url
    found = cards("#search-results .card")
    assert found, "a lexical subtitle search for 'red circle' found nothing in the demo archive"
    for _, text in found:
        assert text.startswith("subtitle · "), text
        assert re.search(r"\n\d+:\d\d\.\d–\d+:\d\d\.\d\n", text), text  # its time range

    # The image search state: shown while an image is chosen, cleared by its button.
    picture = next(os.path.join(d, f) for d, _, fs in os.walk(work) for f in sorted(fs) if f.endswith((".png", ".jpg")))
    browser.find_element(By.ID, "image").send_keys(picture)
    wait.until(lambda b: b.find_element(By.ID, "image-state").is_displayed())
    assert os.path.basename(picture) in browser.find_element(By.ID, "image-state").text
    browser.find_element(By.ID, "clear-image").click()
    wait.until(lambda b: not b.find_element(By.ID, "image-state").is_displayed())
    assert browser.find_element(By.ID, "image").get_attribute("value") == ""

    # The records browser: filtered by kind, paged by keyset.
    browser.get(f"{server.base}/#/records")
    wait.until(lambda b: cards("#record-list .card"))
    first_page = [r for r, _ in cards("#record-list .card")]
    css("#next-page")[0].click()
    wait.until(lambda b: "after=" in b.current_url and cards("#record-list .card") and
               min(r for r, _ in cards("#record-list .card")) > max(first_page))
    Select(browser.find_element(By.ID, "records-kind")).select_by_value("image")
    wait.until(lambda b: "kind=image" in b.current_url and cards("#record-list .card") and
               all(text.startswith("image · ") for _, text in cards("#record-list .card")))

    # A render whose process died: "stopped", with how to resume, never a progress bar.
    browser.get(f"{server.base}/#/films")
    wait.until(lambda b: css(f'#film-list .card[data-film="{stale_id}"] .status'))
    badge = css(f'#film-list .card[data-film="{stale_id}"] .status')[0]
    assert badge.get_attribute("data-state") == "stopped", badge.text
    assert not css(f'#film-list .card[data-film="{stale_id}"] progress')
    browser.get(f"{server.base}/#/film/{stale_id}")
    wait.until(lambda b: css(".render-note"))
    note = css(".render-note")[0].text
    assert note.startswith("Stopped:") and f"make --film {stale_id}" in note, note
    browser.save_screenshot(os.path.join(artifacts, "film_stopped.png"))


if __name__ == "__main__":
    sys.exit(main())
