"""The classroom page in a real browser: Playwright (PyPI) driving Debian's Chromium.

Usage: python classroom_check.py URL POVSIM WORK_DIR [CHROMIUM]

URL is a running `povsim classroom` (on loopback), POVSIM the binary. Exits 1 (an
assertion) unless:
- the page loads with no request outside URL's origin and no console error;
- Setup, Step one year, Run and Pause drive the engine (the year advances, the charts
  and the village are drawn), and a one-off drought hits the dry villages;
- clicking a dot shows that household's story under both scenarios, and after the
  last year the policy's story is, word for word, what `povsim trace` tells of that
  household on the scenario "Save as scenario" downloads, which `povsim run` accepts;
- a bad slider value sent by hand gets a clear error, and the page keeps working.
"""
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright


def by_hand(url, body):
    """A request as a student's script would send it: (status, JSON reply)."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def main(url, povsim, work, chromium="/usr/bin/chromium"):
    work = Path(work)
    origin = urlparse(url)
    outside, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)

        def guard(route):
            u = urlparse(route.request.url)
            if (u.scheme, u.netloc) != (origin.scheme, origin.netloc):
                outside.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        page.route("**/*", guard)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector("#c-detection_rate")
        assert page.locator("#controls input").count() >= 14
        # Every slider shows the scenario's own value.
        for c in page.evaluate("info.controls"):
            if c["kind"] == "slider":
                shown = float(page.locator(f"#c-{c['id']}").input_value())
                assert abs(shown - c["baseline"]) < 1e-9, (c["id"], shown, c["baseline"])

        page.fill("#households", "300")
        page.select_option("#event-kind", "drought")
        page.select_option("#event-year", "2021")
        page.click("#add-event")
        page.click("#setup")
        page.wait_for_function("document.getElementById('status').textContent.includes('300 households')")
        page.click("#step")
        page.wait_for_function("document.getElementById('year').textContent === 'end of 2020'")
        page.click("#step")
        page.wait_for_function("document.getElementById('year').textContent === 'end of 2021'")
        view = page.evaluate("view")
        dry = [v for v in view["villages"] if v["dry"]]
        assert dry and all("drought" in v["hazards"] for v in dry), view["villages"]
        assert len(view["figures"]) == 2 and view["baseline_figures"] is not None
        assert page.evaluate("dots.length") == 300

        # A control changed mid-run, then a bad value sent by hand.
        page.locator("#c-budget").fill("2000")
        page.wait_for_function("document.getElementById('status').textContent.includes('changed from 2022')")
        bad = by_hand(url + "api/change", {"values": {"detection_rate": 7}})
        assert bad[0] == 400 and "must be from 0 to 1" in bad[1]["error"], bad
        bad = by_hand(url + "api/setup", {"households": 100000})
        assert bad[0] == 400 and "50 to 5000 households" in bad[1]["error"], bad

        # Run to the end at the fastest speed.
        page.evaluate("document.getElementById('speed').value = 100")
        page.click("#run")
        page.wait_for_function("document.getElementById('year').textContent === 'end of 2029'", timeout=30000)
        assert page.locator("#step").is_disabled()

        # Click household 42's dot.
        x, y = page.evaluate("dots.find(d => d[2] === 42).slice(0, 2)")
        box = page.locator("#village").bounding_box()
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_function("document.getElementById('stories').dataset.household === '42'")
        texts = page.locator("#stories pre").all_inner_texts()
        assert len(texts) == 2, texts
        assert "Household 42" in texts[0]

        with page.expect_download() as d:
            page.click("#save-button")
        saved = work / "classroom.toml"
        d.value.save_as(saved)
        page.screenshot(path=str(work / "classroom.png"), full_page=True)
        browser.close()

    assert not outside, f"requests outside the server: {outside}"
    assert not errors, f"console errors: {errors}"
    traced = subprocess.run([povsim, "trace", str(saved), "--household", "42"], capture_output=True, text=True, check=True).stdout
    ours = texts[0].replace("scenario `baseline`", "scenario `classroom-baseline`", 1)
    assert ours.strip() == traced.strip(), f"page:\n{ours}\ntrace:\n{traced}"
    out = work / "run"
    subprocess.run([povsim, "run", str(saved), "--quiet", "--no-report", "--out", str(out)], check=True)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["households"] == 300, manifest
    print("ok page: no outside request, no console error")
    print("ok controls: setup, step, run, pause; a drought in every dry village in 2021")
    print("ok story: household 42's story is povsim trace's on the saved scenario")
    print("ok saved scenario: povsim run accepts it")


if __name__ == "__main__":
    main(*sys.argv[1:])
