#!/usr/bin/env python3
"""End-to-end check of `nbrun watch` in a real browser (headless Chromium through Selenium).

Starts `nbrun watch` on a 10-cell notebook whose training cell is cached, opens the page,
and then edits the notebook file as a user would:

1. an edited print: the page shows the new output without a reload (a marker set in the
   page before the edit is still there), and the cached training cell is restored, not rerun;
2. a compile error: it appears at its cell with the .md line; the other cells keep their
   outputs, greyed as stale, and the status line says the notebook did not compile;
3. the error fixed: the page is current again, nothing stale.

Usage: watch_page.py NBRUN [--bench N] [--screenshots DIR]
Exit status 0 when every check passed, 1 with the failed check on stderr, 77 when Chromium,
chromedriver or Selenium is missing (the caller skips). With --bench N, also prints the
median over N edits of the time from saving the file to the page showing the new output.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
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
    return "---\ntitle: Live page check\n---\n\n" + "\n\n".join(f"Cell {i + 1}.\n\n```swift\n{c}\n```" for i, c in enumerate(cells)) + "\n"


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
        for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,1600"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        driver.get(url)
        wait(driver, "return document.querySelector('.live-dot.passed') !== null", "the first run to pass", timeout=180)
        wait(driver, f"return {output(10)}.textContent.includes('first version')", "the first output")
        driver.execute_script("window.nbrunMarker = 'kept';")

        # 1. An edit: new output without a reload; the training restored from the cache.
        write(path, notebook("second version"))
        wait(driver, f"return {output(10)}.textContent.includes('second version')", "the edited output")
        wait(driver, "return document.querySelector('.live-dot.passed') !== null", "the second run to pass")
        assert driver.execute_script("return window.nbrunMarker") == "kept", "the page reloaded"
        assert "cached" in driver.execute_script(f"return {cell(3)}.textContent"), "the training cell was not restored"
        assert not driver.execute_script("return document.querySelector('section.live-stale')"), "a cell is still stale"
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
        problems = [entry["message"] for entry in driver.get_log("browser")
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
                         "nbrun watch: stopped"):
            if expected not in terminal:
                print(f"nbrun watch's terminal lacks {expected!r}:\n{terminal}", file=sys.stderr)
                sys.exit(1)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
