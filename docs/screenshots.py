"""Take the README's screenshots from a running app with the demo data.

    make run            # in one terminal
    .venv/bin/python docs/screenshots.py [--base http://127.0.0.1:5000] [--out docs/screenshots]

Uses Debian's Chromium through Playwright (never a downloaded browser).
"""

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

PASSWORD = "Tehran-Demo-1404"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/$"))


def first_link(page, base: str, url: str, prefix: str) -> str:
    """The first link in the page's main part to a record page such as /partners/12."""
    page.goto(base + url)
    hrefs = page.locator(f"main a[href^='{prefix}']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return base + next(h for h in hrefs if re.fullmatch(rf"{prefix}\d+", h))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--out", default=str(Path(__file__).parent / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = args.base
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for email, lang in (("manager@demo.tehran.ir", "fa"), ("staff@demo.tehran.ir", "en")):
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            sign_in(page, base, email)
            shots = {
                "dashboard": base + "/",
                "partners": base + "/partners/",
                "partner-detail": first_link(page, base, "/partners/?q=istanbul", "/partners/"),
                "agreements": base + "/agreements/",
                "agreement": first_link(page, base, "/agreements/?stage=active", "/agreements/"),
                "followups": base + "/activities/mine",
                "activity-form": base + "/activities/new",
                "search": base + "/search?q=" + ("تهران" if lang == "fa" else "metropolis"),
            }
            for name, url in shots.items():
                page.goto(url)
                page.screenshot(path=str(out / f"{name}-{lang}.png"), full_page=True)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
