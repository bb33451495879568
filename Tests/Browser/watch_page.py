#!/usr/bin/env python3
"""End-to-end check of `nbrun watch` in a real browser (headless Chromium through Selenium).

Starts `nbrun watch` on a 10-cell notebook whose training cell is cached, opens the page,
and then edits the notebook file as a user would:

1. an edited print: the page shows the new output without a reload (a marker set in the
   page before the edit is still there), and the cached training cell is restored, not rerun;
2. a compile error: it appears at its cell with the .md line; the other cells keep their
   outputs, greyed as stale, and the status line says the notebook did not compile;
3. the error fixed: the page is current again, nothing stale.

A heading named like a cell (`## Cell 1`) stays a heading while cell 1 updates. Inline values
in the prose (`{swift} total`) show in place, greyed while their cell is stale. Hostile pages
read nothing: one served from another loopback address (127.0.0.2) and one from another port
of 127.0.0.1 (the same site, so the browser sends the page's cookie) open the page's WebSocket,
fetch the page and load it with a 64 KB URL; a name resolved to 127.0.0.1 (as DNS rebinding
does) gets the server's refusal, from a script of that origin too. The URL with the token, as a
link on another site, still opens the page.

Usage: watch_page.py NBRUN [--bench N] [--screenshots DIR]
Exit status 0 when every check passed, 1 with the failed check on stderr, 77 when Chromium,
chromedriver or Selenium is missing (the caller skips). With --bench N, also prints the
median over N edits of the time from saving the file to the page showing the new output.
"""
import argparse
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
except ImportError:
    print("selenium is not installed (pip install selenium)", file=sys.stderr)
    sys.exit(77)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def notebook(last_line, training_epochs=2, broken=False):
    cells = [
        "RandomGenerator.seedGlobal(1)\nlet data = SyntheticData.spirals(countPerClass: 400, classes: 3)",
        "let model = Sequential([Linear(2, 32), ReLU(), Linear(32, 3)], inputShape: [2])\n"
        "model.compile(optimizer: Adam(learningRate: 0.01), loss: .crossEntropy)",
        "//| cache: true\n//| label: train\n"
        f"let history = try model.fit(x: data.inputs, y: data.labelsTensor, batchSize: 16, epochs: {training_epochs}, verbose: false)\n"
        "print(\"trained\", history.loss.count, \"epochs\")",
        "let accuracy = try model.evaluate(x: data.inputs, y: data.labelsTensor).accuracy!\nprint(\"accuracy ok:\", accuracy > 0.5)",
        "let losses = history.loss\nprint(losses.count)",
        "let grid = Tensor.linspace(-1, 1, count: 5)\nprint(grid.shape)",
        "func double(_ x: Int) -> Int { x * 2 }\nprint(double(21))",
        "let words = [\"a\", \"b\", \"c\"]\nprint(words.joined(separator: \"-\"))",
        "let total = (1...10).reduce(0, +)\nprint(total)",
        ("let broken = 1 +\n" if broken else "") + f"print(\"{last_line}\")",
    ]
    # Inline values in the prose after the training cell and after the sum.
    after = {2: "\n\nIt trained `{swift} history.loss.count` epochs.", 8: "\n\nThe sum is `{swift} total`."}
    # A heading named like the first cell: its id must not be the cell's.
    return ("---\ntitle: Live page check\n---\n\n## Cell 1\n\n"
            + "\n\n".join(f"Cell {i + 1}.\n\n```swift\n{c}\n```{after.get(i, '')}" for i, c in enumerate(cells)) + "\n")


def prose(text):
    """Whether the page's prose (inline values in place) reads `text`."""
    return f"return document.querySelector('main').textContent.includes({text!r})"


def write(path, text):
    """Saves as an editor does: a temporary file renamed over the notebook."""
    temporary = path + ".tmp"
    with open(temporary, "w") as f:
        f.write(text)
    os.replace(temporary, path)


def wait(driver, condition, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if driver.execute_script(condition):
                return time.time()
        except Exception:
            pass
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def cell(index):
    return f"document.getElementById('cell-{index}')"


def output(index):
    """What cell `index` printed and showed (not its code, which names the same strings)."""
    return f"(({cell(index)} || document).querySelector('#cell-{index} .outputs') || {{textContent: ''}})"


HOSTILE_PAGE = """<!DOCTYPE html><html><body><script>
var target = 'http://127.0.0.1:PORT';
var result = {opened: false, messages: [], read: null, done: false};
var socket = new Promise(function (resolve) {
  var ws = new WebSocket('ws://127.0.0.1:PORT/events');
  ws.onopen = function () { result.opened = true; };
  ws.onmessage = function (event) { result.messages.push(String(event.data).slice(0, 200)); ws.close(); };
  ws.onclose = function () { resolve(); };
});
var read = fetch(target + '/', {credentials: 'include'}).then(function (response) { return response.text(); })
  .then(function (text) { result.read = text.slice(0, 200); }, function () {});
var image = new Promise(function (resolve) {
  var element = new Image();
  element.onload = element.onerror = function () { resolve(); };
  element.src = target + '/?' + 'a'.repeat(65536);
});
Promise.all([socket, read, image]).then(function () { result.done = true; window.hostileResult = result; });
</script></body></html>"""


def serve_hostile_page(address, port):
    """Serves HOSTILE_PAGE (aimed at the live page's port) from `address`; returns the server."""
    page = HOSTILE_PAGE.replace("PORT", str(port)).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *arguments):
            pass

    server = http.server.ThreadingHTTPServer((address, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def check_hostile_pages(driver, url, secret):
    """Each hostile origin reads nothing of the page at `url` (with the token), whose output
    holds `secret`; a link to `url` on another site still opens the page."""
    port = int(url.split(":")[2].split("/")[0])
    live = driver.current_window_handle
    driver.switch_to.new_window("tab")
    try:
        for address in ("127.0.0.2", "127.0.0.1"):
            server = serve_hostile_page(address, port)
            try:
                origin = f"http://{address}:{server.server_address[1]}"
                driver.get(origin + "/")
                wait(driver, "return window.hostileResult !== undefined", f"the hostile page at {origin} to finish")
                result = driver.execute_script("return window.hostileResult")
                assert not result["opened"] and not result["messages"], f"{origin} opened the WebSocket: {result}"
                assert result["read"] is None, f"{origin} read the page: {result['read']!r}"
                assert secret not in str(result), f"{origin} read the output"
                if address == "127.0.0.2":
                    # The URL as a link on another site: no redirect would carry the SameSite=Strict
                    # cookie there, so a page of the server's own takes the browser on.
                    driver.execute_script(f"location.href = {url!r};")
                    wait(driver, f"return document.body && document.body.textContent.includes({secret!r})",
                         "the page opened from another site's link")
                    assert driver.current_url == url.split("?")[0], f"the token stayed in the URL: {driver.current_url}"
            finally:
                server.shutdown()
        # DNS rebinding: a name an attacker points at 127.0.0.1 (here by Chromium's resolver
        # rules) reaches the server with its own Host, from a script of its own origin.
        driver.get(f"http://rebind.test:{port}/")
        body = driver.execute_script("return document.body.textContent")
        assert "Forbidden" in body and secret not in body, f"the rebound name got: {body[:200]!r}"
        driver.execute_script(f"""
            window.rebound = null;
            var ws = new WebSocket('ws://rebind.test:{port}/events'), messages = [];
            ws.onmessage = function (event) {{ messages.push(String(event.data)); }};
            fetch('/').then(function (response) {{ return response.text().then(function (text) {{
              ws.onclose = function () {{ window.rebound = {{status: response.status, text: text, messages: messages}}; }};
              if (ws.readyState === WebSocket.CLOSED) ws.onclose();
            }}); }});
        """)
        wait(driver, "return window.rebound !== null", "the rebound name's script to finish")
        rebound = driver.execute_script("return window.rebound")
        assert rebound["status"] == 403 and not rebound["messages"], f"the rebound name read: {rebound}"
        assert secret not in str(rebound), "the rebound name read the output"
    finally:
        driver.close()
        driver.switch_to.window(live)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("nbrun")
    parser.add_argument("--bench", type=int, default=0)
    parser.add_argument("--screenshots")
    args = parser.parse_args()
    if not CHROMIUM or not DRIVER:
        print("chromium or chromedriver is not installed", file=sys.stderr)
        return 77

    folder = tempfile.mkdtemp(prefix="nbrun-watch-")
    path = os.path.join(folder, "live.md")
    write(path, notebook("first version"))
    server = subprocess.Popen([args.nbrun, "watch", "live.md", "--port", "0", "-o", "out"], cwd=folder,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    driver = None
    try:
        line = server.stdout.readline()
        if "http://" not in line:
            raise AssertionError(f"nbrun watch printed no URL: {line!r} {server.stderr.read() if server.poll() is not None else ''}")
        url = line[line.index("http://"):].split()[0]

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,1600",
                     "--host-resolver-rules=MAP rebind.test 127.0.0.1"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        driver.get(url)
        wait(driver, "return document.querySelector('.live-dot.passed') !== null", "the first run to pass", timeout=180)
        wait(driver, f"return {output(10)}.textContent.includes('first version')", "the first output")
        wait(driver, prose("The sum is 55."), "the inline value of the sum")
        wait(driver, prose("It trained 2 epochs."), "the inline value after the training cell")
        assert "token=" in url and driver.current_url.rstrip("/") == url.split("?")[0].rstrip("/"), \
            f"the token URL did not redirect to the plain one: {driver.current_url}"
        driver.execute_script("window.nbrunMarker = 'kept';")
        # The browser's log is one for all tabs: the hostile pages' refused requests are left out of
        # what the live page must not log.
        page_log = driver.get_log("browser")
        check_hostile_pages(driver, url, "first version")
        driver.get_log("browser")

        # 1. An edit: new output without a reload; the training restored from the cache.
        write(path, notebook("second version"))
        wait(driver, f"return {output(10)}.textContent.includes('second version')", "the edited output")
        wait(driver, "return document.querySelector('.live-dot.passed') !== null", "the second run to pass")
        assert driver.execute_script("return window.nbrunMarker") == "kept", "the page reloaded"
        assert "cached" in driver.execute_script(f"return {cell(3)}.textContent"), "the training cell was not restored"
        assert not driver.execute_script("return document.querySelector('section.live-stale')"), "a cell is still stale"
        headings = driver.execute_script("return [...document.querySelectorAll('main h2')].map(h => h.textContent + '#' + h.id)")
        sections = driver.execute_script("return document.querySelectorAll('section.cell').length")
        assert headings == ["Cell 1#cell-1-2"] and sections == 10, f"headings {headings}, {sections} cells"
        if args.screenshots:
            driver.save_screenshot(os.path.join(args.screenshots, "watch-passed.png"))

        # 2. A compile error: at its cell, the rest stale, the status says so.
        write(path, notebook("second version", broken=True))
        wait(driver, f"return {cell(10)}.textContent.includes('Compile error')", "the compile error at cell 10")
        status = driver.execute_script("return document.getElementById('nbrun-live').textContent")
        assert "did not compile" in status, f"status: {status}"
        assert "live.md:" in driver.execute_script(f"return {cell(10)}.textContent"), "the error names no .md line"
        stale = driver.execute_script("return document.querySelectorAll('section.live-stale').length")
        assert stale == 9, f"{stale} stale cells, expected 9"
        assert driver.execute_script("return document.querySelectorAll('span.inline-value.stale').length") == 2, \
            "the inline values of stale cells are not marked stale"
        assert "trained" in driver.execute_script(f"return {output(3)}.textContent"), "the other cells' outputs went away"
        assert driver.execute_script("return window.nbrunMarker") == "kept", "the page reloaded"
        if args.screenshots:
            driver.save_screenshot(os.path.join(args.screenshots, "watch-compile-error.png"))

        # A crash of the notebook program fails its cell; the server goes on.
        write(path, notebook("second version").replace('print("second version")', 'let empty: [Int] = []\nprint(empty[1])'))
        wait(driver, f"return {cell(10)}.textContent.includes('Index out of range')", "the crash at cell 10")
        assert server.poll() is None, "nbrun watch stopped when the notebook program crashed"

        # 3. Fixed: current again.
        write(path, notebook("third version"))
        wait(driver, f"return {output(10)}.textContent.includes('third version')", "the fixed output")
        wait(driver, "return document.querySelector('.live-dot.passed') !== null", "the fixed run to pass")
        assert not driver.execute_script("return document.querySelector('section.live-stale')"), "cells still stale"
        assert "Compile error" not in driver.execute_script("return document.body.textContent"), "the error stayed"

        # While a cell trains: its progress line (a cell that is not cached and trains longer).
        write(path, notebook("third version", training_epochs=40).replace("//| cache: true\n", ""))
        wait(driver, "return document.querySelector('.training-line') !== null", "a training progress line", timeout=120)
        if args.screenshots:
            driver.save_screenshot(os.path.join(args.screenshots, "watch-training.png"))
        wait(driver, "return document.querySelector('.live-dot.passed') !== null", "the training run to pass", timeout=300)
        wait(driver, prose("It trained 40 epochs."), "the inline value of the longer training")

        if args.bench:
            write(path, notebook("bench 0"))
            wait(driver, f"return {output(10)}.textContent.includes('bench 0')", "the bench baseline", timeout=300)
            wait(driver, "return document.querySelector('.live-dot.passed') !== null", "the baseline run to pass")
            times = []
            for round in range(1, args.bench + 1):
                time.sleep(0.5)
                saved = time.time()
                write(path, notebook(f"bench {round}"))
                shown = wait(driver, f"return {output(10)}.textContent.includes('bench {round}')", f"bench round {round}")
                times.append(shown - saved)
                wait(driver, "return document.querySelector('.live-dot.passed') !== null", "the bench run to pass")
            print(f"watch: save to updated page, 10 cells, training cached: median {statistics.median(times):.3f} s "
                  f"(goal <= 1.5 s; {', '.join(f'{t:.2f}' for t in times)})")
        # Nothing the page does is refused by its Content-Security-Policy, and it logs no errors.
        problems = [entry["message"] for entry in page_log + driver.get_log("browser")
                    if entry["level"] == "SEVERE" or "Content Security Policy" in entry["message"]]
        assert not problems, f"the page logged: {problems}"
        print("watch page: all checks passed")
        return 0
    except AssertionError as failure:
        print(f"watch page check failed: {failure}", file=sys.stderr)
        if driver and args.screenshots:
            driver.save_screenshot(os.path.join(args.screenshots, "watch-failure.png"))
        return 1
    finally:
        if driver:
            driver.quit()
        server.send_signal(2)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            print("nbrun watch did not stop on Ctrl-C within 10 s", file=sys.stderr)
            sys.exit(1)
        terminal = server.stderr.read()
        if server.returncode not in (0,):
            print(f"nbrun watch exited with {server.returncode} after Ctrl-C: {terminal}", file=sys.stderr)
            sys.exit(1)
        # The terminal has a line per run: its verdict, and the errors of the one that did not compile.
        for expected in ("live.md: 10 passed, 0 failed in", "live.md: not run: the errors above", "error:",
                         "nbrun watch: stopped", " refused GET /"):
            if expected not in terminal:
                print(f"nbrun watch's terminal lacks {expected!r}:\n{terminal}", file=sys.stderr)
                sys.exit(1)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
