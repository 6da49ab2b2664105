"""Load and reliability: many clients at once against the app under gunicorn, over loopback.

    python bench/load.py                      # 20 clients, 60 s, 4 gunicorn workers, 20,000 × 128 points
    python bench/load.py --clients 20 --seconds 60 --workers 4 --points 20000 --dim 128
    python bench/load.py --celery             # the same, with jobs on a Celery worker (needs redis-server)

Each client clicks points (100 exact neighbours, checked against brute force), runs regex searches
(checked against Python's re) and asks for custom projections (background jobs, each checked against
its own request). Prints one JSON object: requests, errors, and p50/p95 latency per kind in ms.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import projector  # noqa: E402
from appproc import run_app, run_redis, run_worker, stop  # noqa: E402
from loadwork import make_dataset, run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--points", type=int, default=20_000)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--celery", action="store_true", help="jobs on a Celery worker through a throwaway redis-server")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="projector-load-"))
    data = folder / "data"
    ds = make_dataset(n=args.points, dim=args.dim)
    projector.DatasetStore(data / "store").add(ds)
    env, helpers = {"PROJECTOR_DATA_DIR": str(data)}, []
    if args.celery:
        redis, redis_url = run_redis(folder)
        env.update(REDIS_URL=redis_url, PROJECTOR_SECRET="load-test-secret")
        helpers = [redis, run_worker(env, folder / "worker.log")]
    proc = None
    try:
        proc, url, _ = run_app(gunicorn_workers=args.workers, env=env, timeout=180)
        report = run(url, ds, data, clients=args.clients, seconds=args.seconds)
    finally:
        for p in [proc, *helpers]:
            if p is not None:
                stop(p)
    report.update(workers=args.workers, threads_per_worker=4, points=args.points, dim=args.dim,
                  jobs="celery (1 worker, 1 pool process)" if args.celery else "fork servers per web process")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
