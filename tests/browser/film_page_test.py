#!/usr/bin/env python3
"""Browser test of the viewer: Debian's Chromium, headless, driven by Selenium (chromium-driver).

Builds the demo archive with `palimpsest demo`, serves it with `palimpsest serve` on a loopback
port, and makes sure there is a rendered demo film (the one `demo` made, else data/demo.fountain
posted to POST /api/v1/films at a small size, rendered by the server's job worker). Then it opens
the film page, steps frames with the arrow keys and the buttons, and checks that the provenance
panel follows the frame and links to the records, that the record page shows the reverse
provenance, and saves screenshots as test artefacts.

Exit status: 0 passed, 1 failed, 77 skipped (Chromium, chromedriver or Selenium missing outside
CI; in CI, CI=true, a missing browser is a failure).

usage: film_page_test.py PALIMPSEST_BINARY SOURCE_DIR ARTIFACTS_DIR
"""
import json
import os
import re
import shutil
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
        reuse = os.environ.get("PALIMPSEST_BROWSER_DEMO")  # a folder from `palimpsest demo --out`
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


if __name__ == "__main__":
    sys.exit(main())
