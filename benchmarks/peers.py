"""Our partner list beside a bare Flask route doing the same query with raw SQL and a minimal
template: in one process, interleaved, and under concurrent load on gunicorn.

    .venv/bin/python -m benchmarks.peers                    # the large set in scratch SQLite
    .venv/bin/python -m benchmarks.peers --postgres         # … in a scratch PostgreSQL database
    .venv/bin/python -m benchmarks.peers --database-url URL # an existing, seeded database
    .venv/bin/python -m benchmarks.peers --no-load          # skip the gunicorn part

The bare route is what any Flask page must at least do for the same answer: count the current
partners, read the first 25 in the reader's (Persian) name order with their owner, then their
cooperation areas, and render them as a table. Ours adds the layout, the navigation, the filter
form, the signed-in user and the security headers. In process, the two are requested in turn
through test clients (``--requests`` each) and their medians compared. Under load, each is served
by gunicorn (``--workers``, sync workers) and hit by ``wrk`` with ``--connections`` connections
for ``--seconds``, twice in turn; the requests per second are compared. Target: ours at most 2.5×
the bare route's median, and over half its requests per second.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from time import perf_counter

from flask import Flask, render_template_string
from sqlalchemy import create_engine, text

from benchmarks.common import (
    drop_postgres,
    make_app,
    scratch_folder,
    scratch_postgres,
    scratch_sqlite,
)
from benchmarks.pages import build
from crm.demo.data import DEMO_PASSWORD
from crm.demo.small import demo_email

PAGE_SIZE = 25
AGENT = "crm-benchmark"
COUNT = "SELECT count(*) FROM partners WHERE archived_at IS NULL"
PAGE = (
    "SELECT p.id, p.name_fa, p.name_en, p.kind, p.country, p.relationship_type,"
    " u.display_name AS owner FROM partners p LEFT JOIN users u ON u.id = p.owner_id"
    " WHERE p.archived_at IS NULL ORDER BY {order}, p.id LIMIT :limit OFFSET 0"
)
ORDER = "p.sort_fa"  # the stored Persian sort key, as our list sorts
AREAS = (
    "SELECT pa.partner_id, a.name_fa FROM partner_areas pa"
    " JOIN cooperation_areas a ON a.id = pa.area_id WHERE pa.partner_id IN ({ids})"
)
TEMPLATE = """<!doctype html><html lang="fa" dir="rtl"><head><meta charset="utf-8">
<title>طرف‌های همکاری</title></head><body><h1>طرف‌های همکاری ({{ total }})</h1>
<table><tr><th>نام</th><th>نوع</th><th>کشور</th><th>رابطه</th><th>مسئول</th><th>حوزه‌ها</th></tr>
{% for p in partners %}<tr><td><a href="/partners/{{ p.id }}">{{ p.name_fa or p.name_en }}</a></td>
<td>{{ p.kind }}</td><td>{{ p.country or '' }}</td><td>{{ p.relationship_type }}</td>
<td>{{ p.owner or '' }}</td><td>{{ areas.get(p.id, [])|join('، ') }}</td></tr>{% endfor %}
</table></body></html>"""


def bare_app(database_url: str) -> Flask:
    """A Flask app with one route: the partner list's first page, raw SQL, minimal template."""
    app = Flask("bare")
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))

    @app.route("/partners/")
    def partners():
        with engine.connect() as conn:
            total = conn.execute(text(COUNT)).scalar_one()
            rows = conn.execute(text(PAGE.format(order=ORDER)), {"limit": PAGE_SIZE}).all()
            areas: dict[int, list[str]] = {}
            if rows:
                ids = ", ".join(str(row.id) for row in rows)
                for partner_id, name in conn.execute(text(AREAS.format(ids=ids))):
                    areas.setdefault(partner_id, []).append(name)
        return render_template_string(TEMPLATE, total=total, partners=rows, areas=areas)

    return app


def bare_app_from_env() -> Flask:
    """For gunicorn: ``gunicorn 'benchmarks.peers:bare_app_from_env()'``."""
    return bare_app(os.environ["DATABASE_URL"])


def in_process(ours: Flask, bare: Flask, requests: int) -> tuple[float, float]:
    """Medians (ms) of our partner list and the bare route, requested in turn."""
    client, plain = ours.test_client(), bare.test_client()
    response = client.post(
        "/login", data={"email": demo_email("manager"), "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302, response.status_code
    timings: dict[str, list[float]] = {"ours": [], "bare": []}
    for i in range(requests + 3):
        for name, c in (("ours", client), ("bare", plain)):
            started = perf_counter()
            response = c.get("/partners/")
            response.get_data()
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code}")
            if i >= 3:  # the first three warm up
                timings[name].append((perf_counter() - started) * 1000)
    return statistics.median(timings["ours"]), statistics.median(timings["bare"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(target: str, database_url: str, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "CRM_SECURE_COOKIES": "0",
        "CRM_EMBEDDED_JOBS": "0",
        "SECRET_KEY": "benchmark-secret-key-0123456789abcdef0123456789",
        "CRM_INSTANCE_PATH": scratch_folder("crm-peers-"),
    }
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ],
        env=env,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            break
        except urllib.error.HTTPError:
            break  # the bare app has no /health: it answers, so it is up
        except OSError:
            time.sleep(0.1)
    return server, port


def session_cookie(port: int) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", AGENT)]  # the session is bound to it
    page = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": demo_email("manager"), "password": DEMO_PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    opener.open(f"http://127.0.0.1:{port}/login", urllib.parse.urlencode(data).encode()).read()
    response = opener.open(f"http://127.0.0.1:{port}/partners/")
    if not response.url.endswith("/partners/"):
        raise SystemExit(f"Could not sign in as the demo manager: {response.url}")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def wrk(port: int, cookie: str, connections: int, seconds: int) -> tuple[float, str]:
    """Requests per second of ``wrk`` on the partner list, and any non-2xx note."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"User-Agent: {AGENT}"]
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(
        [*args, f"http://127.0.0.1:{port}/partners/"], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, f" ({errors.group(1)} non-2xx)" if errors else ""


def under_load(database_url: str, workers: int, connections: int, seconds: int) -> None:
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk): skipping the load test")
        return
    ours, ours_port = serve("app:app", database_url, workers)
    bare, bare_port = serve("benchmarks.peers:bare_app_from_env()", database_url, workers)
    try:
        cookie = session_cookie(ours_port)
        rates: dict[str, list[float]] = {"ours": [], "bare": []}
        for _round in range(2):
            for name, port, header in (("bare", bare_port, ""), ("ours", ours_port, cookie)):
                rate, note = wrk(port, header, connections, seconds)
                rates[name].append(rate)
                print(f"  {name}: {rate:.0f} requests/s{note}", flush=True)
        ours_rate, bare_rate = statistics.mean(rates["ours"]), statistics.mean(rates["bare"])
        print(
            f"under {connections} connections, gunicorn -w {workers}: ours {ours_rate:.0f}/s, "
            f"bare {bare_rate:.0f}/s, ratio {ours_rate / bare_rate:.2f} (target over 0.5)"
        )
    finally:
        for server in (ours, bare):
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an existing, seeded database")
    parser.add_argument("--postgres", action="store_true", help="a scratch PostgreSQL database")
    parser.add_argument("--scale", type=float, default=1.0, help="size of the large set")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn part")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    scratch = None
    try:
        if args.database_url:
            url, ours = args.database_url, make_app(args.database_url)
        else:
            if args.postgres:
                scratch, url = scratch_postgres(suffix="peers")
            else:
                url = scratch_sqlite("peers")
            ours = build(url, "large", args.scale)
        mine, bare = in_process(ours, bare_app(url), args.requests)
        print(
            f"in one process, {args.requests} requests each in turn: ours {mine:.1f} ms, "
            f"bare {bare:.1f} ms, ratio {mine / bare:.2f} (target under 2.5)",
            flush=True,
        )
        if not args.no_load:
            under_load(url, args.workers, args.connections, args.seconds)
    finally:
        if scratch:
            drop_postgres(scratch)


if __name__ == "__main__":
    main()
