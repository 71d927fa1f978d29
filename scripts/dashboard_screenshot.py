"""Take the README's dashboard screenshot (docs/dashboard.png) from a running `make up` stack.

    make up                                        # in another terminal; wait for the sample
    .venv/bin/python scripts/dashboard_screenshot.py [--weeks 7] [--out docs/dashboard.png]

Uses Debian's chromium through Playwright (no browser download) and the admin key that
`make up` wrote to .salesops/api-admin.key.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/")
    parser.add_argument("--weeks", type=int, default=7, help="complete weeks to show")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dashboard.png")
    args = parser.parse_args()
    key = (ROOT / ".salesops" / "api-admin.key").read_text().strip().splitlines()[-1]
    monday = date.today() - timedelta(days=date.today().weekday())
    start, end = monday - timedelta(weeks=args.weeks), monday - timedelta(days=1)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(args.url)
        page.fill("#api-key", key)
        page.press("#api-key", "Enter")
        page.wait_for_selector("#reports:not([hidden])")
        page.fill("#start-date", start.isoformat())
        page.fill("#end-date", end.isoformat())
        page.click("#period-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1500)  # chart animations
        page.screenshot(path=str(args.out), full_page=True)
        browser.close()
    print(f"wrote {args.out} ({start} – {end})")


if __name__ == "__main__":
    main()
