"""A briefing pack of the 20 busiest partners of the large demo set through the real path: asked
for by the demo administrator, a ``redis-server`` of its own, one ``flask crm worker`` process.
Reports the time from enqueueing to ready, the progress the page could show on the way, the
file's size and pages, and the worker's memory (resident at rest, peak after the packs).

    .venv/bin/python -m benchmarks.pack_job                         # scratch SQLite, large set
    .venv/bin/python -m benchmarks.pack_job --postgres              # scratch PostgreSQL, dropped
    .venv/bin/python -m benchmarks.pack_job --database-url URL      # a database seeded already
    .venv/bin/python -m benchmarks.pack_job --screenshots docs/images   # and the README's PNGs

The worker is RQ's ``SimpleWorker`` (``flask crm worker``): it builds the PDF in its own
process, so the peak it reaches (``VmHWM`` in ``/proc/<pid>/status``, the kernel's high-water
mark of resident memory) is the memory a worker host needs for a pack. ``--screenshots`` also
serves the app and takes the progress and ready pages in Persian and English.
"""

import argparse
import io
import logging
import re
import threading
import time
import uuid
from pathlib import Path

import pypdf
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from benchmarks.common import (
    drop_postgres,
    ensure_schema,
    make_app,
    scratch_folder,
    scratch_postgres,
    scratch_sqlite,
    seed,
)
from crm.activities.models import Activity
from crm.auth.models import User
from crm.demo.data import DEMO_DOMAIN, DEMO_PASSWORD
from crm.extensions import db
from crm.files import services, tasks
from crm.files.models import PreparedFile
from tests.live_services import RedisServer, app_env, start_worker, stop_process, wait_for

BUDGET_S = 10.0  # the bound for a pack of 20 partners
WAIT = 300


def memory(pid: int) -> dict[str, int]:
    """The process's resident memory now and at its peak, in MB (Linux's /proc)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _colon, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) // 1024
    return values


def busiest(app: Flask, count: int) -> list[int]:
    """The partners with the most activities."""
    with app.app_context():
        stmt = (
            select(Activity.partner_id)
            .where(Activity.partner_id.is_not(None))
            .group_by(Activity.partner_id)
            .order_by(func.count().desc(), Activity.partner_id)
            .limit(count)
        )
        ids = list(db.session.scalars(stmt))
        activities = db.session.scalar(
            select(func.count()).select_from(Activity).where(Activity.partner_id.in_(ids))
        )
        print(f"{len(ids)} busiest partners: {activities:,} activities between them")
        return ids


def user(app: Flask, role: str) -> User:
    with app.app_context():
        found = db.session.scalar(select(User).where(User.email == f"{role}@{DEMO_DOMAIN}"))
        db.session.expunge(found)
        return found


def ask(app: Flask, owner: User, ids: list[int], language: str) -> int:
    with app.test_request_context():
        prepared = services.request_pack(owner, ids, language)
        db.session.commit()
        return prepared.id


def row(app: Flask, file_id: int) -> tuple[str, int, str, int | None, str]:
    with app.app_context():
        found = db.session.get_one(PreparedFile, file_id)
        result = (found.status, found.progress, found.step, found.size, found.stored_name)
        db.session.rollback()
        db.session.expunge_all()
        return result


def run_pack(app: Flask, owner: User, ids: list[int], language: str, log: Path) -> dict:
    """Ask, enqueue, and watch the row until it is done: seconds, progress seen, file."""
    file_id = ask(app, owner, ids, language)
    seen: list[int] = []
    started = time.perf_counter()
    with app.app_context():
        tasks.start(db.session.get_one(PreparedFile, file_id))

    def done() -> bool:
        status, progress, *_rest = row(app, file_id)
        if not seen or seen[-1] != progress:
            seen.append(progress)
        return status not in ("queued", "running")

    wait_for(done, WAIT, f"the pack; worker output:\n{log.read_text()[-3000:]}", step=0.2)
    seconds = time.perf_counter() - started
    status, _progress, _step, size, stored = row(app, file_id)
    if status != "ready":
        raise SystemExit(f"the pack {status}; worker output:\n{log.read_text()[-3000:]}")
    data = (Path(app.config["CRM_FILES_FOLDER"]) / stored).read_bytes()
    pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
    return {"seconds": seconds, "seen": seen, "size": size, "pages": pages, "id": file_id}


def screenshots(app: Flask, ids: list[int], out: Path, log: Path) -> None:
    """The progress page (half way) and the ready page, as the Persian administrator and the
    English staff member see them."""
    from playwright.sync_api import sync_playwright

    app.config["WTF_CSRF_ENABLED"] = True
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for role, language in (("admin", "fa"), ("staff", "en")):
                page = browser.new_page(viewport={"width": 1280, "height": 760})
                page.goto(f"{base}/login")
                page.fill("#email", f"{role}@{DEMO_DOMAIN}")
                page.fill("#password", DEMO_PASSWORD)
                page.locator("main form button[type=submit]").click()
                page.wait_for_url(f"{base}/")
                file_id = ask(app, user(app, role), ids, language)
                with app.app_context():
                    tasks.start(db.session.get_one(PreparedFile, file_id))
                page.goto(f"{base}/files/{file_id}")
                bar = page.get_by_role("progressbar")

                def half_way(bar=bar) -> bool:
                    return 30 <= int(bar.get_attribute("aria-valuenow") or 0) < 90

                wait_for(
                    half_way,
                    WAIT,
                    "the bar half way",
                    step=0.05,
                )
                with page.expect_response(lambda response: "/status" in response.url):
                    pass  # the next poll's answer, then the bar's transition to its width
                page.wait_for_timeout(650)
                page.screenshot(path=str(out / f"pack-progress-{language}.png"))
                ready = page.locator("[data-progress-ready]")
                ready.wait_for(state="visible", timeout=WAIT * 1000)
                page.wait_for_timeout(1000)  # the bar's own transition to its full width
                page.screenshot(path=str(out / f"pack-ready-{language}.png"))
                page.close()
            browser.close()
    finally:
        server.shutdown()
    print(f"screenshots in {out}: pack-progress-fa/en.png, pack-ready-fa/en.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a database seeded with the large set already")
    parser.add_argument("--postgres", action="store_true", help="a scratch PostgreSQL database")
    parser.add_argument("--partners", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--screenshots", type=Path, help="a folder for the pages' PNGs")
    args = parser.parse_args()
    pg_name = None
    if args.database_url:
        url = args.database_url
    elif args.postgres:
        pg_name, url = scratch_postgres("pack")
    else:
        url = scratch_sqlite("pack")
    try:
        measure(args, url)
    finally:
        if pg_name:
            drop_postgres(pg_name)


def measure(args: argparse.Namespace, url: str) -> None:
    app = make_app(url)
    if ensure_schema(app) or not args.database_url:
        print(seed(app, "large").strip().splitlines()[-1])
    folder = Path(scratch_folder("crm-bench-pack-"))
    app.config["CRM_FILES_FOLDER"] = str(folder / "files")
    redis_server = RedisServer(folder / "redis").start()
    queue = f"crm-bench-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=redis_server.url, CRM_QUEUE=queue)
    env = app_env(
        folder,
        DATABASE_URL=url,
        REDIS_URL=redis_server.url,
        CRM_QUEUE=queue,
        CRM_FILES_FOLDER=app.config["CRM_FILES_FOLDER"],
    )
    log = folder / "worker.log"
    worker = start_worker(env, log)
    try:
        ids = busiest(app, args.partners)
        admin = user(app, "admin")
        wait_for(lambda: "Listening on" in log.read_text(errors="replace"), 60, "the worker")
        at_rest = memory(worker.pid)["VmRSS"]
        print(f"worker pid {worker.pid}: {at_rest} MB resident before the first pack")
        results = []
        for n in range(args.runs):
            language = "fa" if n % 2 == 0 else "en"
            result = run_pack(app, admin, ids, language, log)
            results.append(result)
            steps = [p for p in result["seen"] if 0 < p < 100]
            flag = "" if result["seconds"] < BUDGET_S else f"  OVER {BUDGET_S:.0f} s"
            print(
                f"run {n + 1} ({language}): ready in {result['seconds']:.2f} s, "
                f"{result['pages']} pages, {result['size'] / 1024:.0f} KB, "
                f"{len(steps)} progress values seen on the way{flag}"
            )
        peak = memory(worker.pid)
        times = sorted(r["seconds"] for r in results)
        print(
            f"pack of {len(ids)} partners: best {times[0]:.2f} s, worst {times[-1]:.2f} s; "
            f"worker resident {peak['VmRSS']} MB now, peak {peak['VmHWM']} MB "
            f"(+{peak['VmHWM'] - at_rest} MB over its rest)"
        )
        if args.screenshots:
            screenshots(app, ids, args.screenshots, log)
    finally:
        stop_process(worker)
        redis_server.stop()
    if re.search(r"Traceback", log.read_text(errors="replace")):
        print("the worker logged a traceback:\n" + log.read_text()[-3000:])


if __name__ == "__main__":
    main()
