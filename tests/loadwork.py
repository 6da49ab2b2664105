"""A team's worth of traffic over HTTP: clients that click points (exact neighbours), search labels
and ask for projections (background jobs), each answer checked against a direct computation."""
from __future__ import annotations

import json
import random
import secrets
import threading
import time

import numpy as np

from httpclient import Client, http, view_record

TOPICS = ["politics", "sports", "music", "science", "food", "travel", "health", "money", "film", "games"]


def make_dataset(n: int = 20_000, dim: int = 128, seed: int = 0):
    """Clustered vectors with labels ``<topic>_<i>`` (the topic is the cluster)."""
    import pandas as pd

    import projector

    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 4, size=(len(TOPICS), dim))
    topic = rng.integers(0, len(TOPICS), size=n)
    X = (centres[topic] + rng.normal(size=(n, dim))).astype(np.float32)
    labels = [f"{TOPICS[t]}_{i}" for i, t in enumerate(topic)]
    return projector.load_dataset(X, pd.DataFrame({"word": labels}), name="load test")


def run(url: str, dataset, data_dir, clients: int = 20, seconds: float = 60.0, seed: int = 0,
        secret: str | None = None) -> dict:
    """Drive ``clients`` threads for ``seconds``; returns latencies (ms) per kind and every error.
    ``data_dir`` is the app's: a finished projection is read back from its result cache and checked."""
    import projector
    from projector.projections import projection_key

    deps = json.loads(http(f"{url}/_dash-dependencies")[1])
    X = np.asarray(dataset.vectors, dtype=np.float32)
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    labels = list(dataset.metadata["word"])
    n = len(X)
    view = view_record(dataset.id, n)
    results = projector.ResultCache(f"{data_dir}/cache")
    times: dict[str, list[float]] = {"neighbours": [], "search": [], "projection": []}
    errors: list[str] = []
    lock = threading.Lock()

    def neighbours(c: Client, rng):
        i = rng.randrange(n)
        answer = c.call("scatter.clickData", {"points": [{"curveNumber": 0, "pointIndex": i}]}, {"view.data": view},
                        inputs={"neighbor-count.value": 100, "metric.value": "cosine"})
        sel = answer["selection"]["data"]
        sims = unit @ unit[i]
        sims[i] = -np.inf
        best = int(np.argmax(sims))
        assert sel["anchor"] == i and len(sel["neighbors"]) == 100, sel.get("anchor")
        assert sel["neighbors"][0][0] == best or abs(sel["neighbors"][0][1] - (1 - sims[best])) < 1e-5, "wrong neighbour"

    def search(c: Client, rng):
        topic = rng.choice(TOPICS)
        query = f"^{topic}_\\d*{rng.randrange(10)}$"
        answer = c.call("search-query.value", query, {"view.data": view},
                        inputs={"search-regex.value": ["on"], "search-column.value": "word",
                                "search-scope.value": "all"})
        import re

        expected = sum(1 for t in labels if re.search(query, t, re.IGNORECASE))
        got = (answer["selection"]["data"]["points"] or {}).get("n", 0)
        assert got == expected, f"search {query}: {got} != {expected}"

    def projection(c: Client, rng):
        left, right = rng.sample(TOPICS, 2)
        params = {"left": left, "right": right, "up": "", "down": "", "regex": False, "column": "word"}
        key, used = projection_key(dataset, "custom", params=params, cache=results)
        job = {"dataset": dataset.id, "subset": None, "spherize": False, "method": "custom", "dims": 2,
               "params": used, "key": key, "points": n, "job": secrets.token_hex(6)}
        answer = c.call_background("projection-job.data", job, {})
        result = answer["projection-job-result"]["data"]
        assert result["state"] == "done", result.get("error")
        assert result["job"] == job["job"] and result["key"] == key, "another user's result"
        coords, info = results.get(key)
        matches = info["matches"]
        assert coords.shape == (n, 2), "another projection's coordinates"
        assert matches["left"] == sum(left in t for t in labels) and matches["right"] == sum(right in t for t in labels)

    kinds = [("neighbours", neighbours, 0.5), ("search", search, 0.3), ("projection", projection, 0.2)]

    def client(k: int):
        rng = random.Random(seed * 1000 + k)
        c = Client(url, deps, data_dir=data_dir, secret=secret)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r, acc = rng.random(), 0.0
            for name, fn, share in kinds:
                acc += share
                if r < acc:
                    break
            t0 = time.perf_counter()
            try:
                fn(c, rng)
                with lock:
                    times[name].append((time.perf_counter() - t0) * 1e3)
            except Exception as exc:  # counted, reported, never hidden
                with lock:
                    errors.append(f"{name}: {type(exc).__name__}: {exc}"[:300])

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started

    def pct(values, q):
        return round(float(np.percentile(values, q)), 1) if values else None

    return {"clients": clients, "seconds": round(elapsed, 1), "requests": sum(map(len, times.values())),
            "errors": len(errors), "error_examples": errors[:5],
            **{f"{k}_count": len(v) for k, v in times.items()},
            **{f"{k}_p50_ms": pct(v, 50) for k, v in times.items()},
            **{f"{k}_p95_ms": pct(v, 95) for k, v in times.items()}}
