"""A fuzzer for the running app: every Dash callback (from its own ``/_dash-dependencies``) and every
HTTP route, with payloads of every hostile class — types swapped, ids unknown or path-like, sizes
huge, numbers negative, non-finite or out of range, records made up or tampered, bodies that are not
JSON or not objects, nesting thousands deep.

    python tests/fuzz.py URL DATA_DIR [--seconds 60] [--seed 1]

prints one JSON line: payloads tried, answers by status, and every 5xx (with the payload). The suite's
``tests/test_fuzz.py`` runs it against a real app process and checks the properties.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
import urllib.parse
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from httpclient import http, picked_dataset  # noqa: E402

HUGE_TEXT = "x" * 200_000
NESTED = "[" * 5_000 + "]" * 5_000


def hostile_values(rng: random.Random, dataset: str):
    """One value of a hostile class (or a plausible one: the fuzzer mixes both)."""
    pool = [
        None, True, False, 0, -1, 1, 2**31, 2**63, -2**63, 10**30, 0.5, -0.0, 1e308, -1e308, 5e-324,
        float("nan"), float("inf"), float("-inf"),
        "", " ", "a", "NaN", "null", "-1", "1e9", "999999999", HUGE_TEXT, "../../../etc/passwd", "..\\..\\x",
        "/etc/passwd", "%2e%2e%2f", "\x00", "\u202e\ufeff", "<script>alert(1)</script>", "=cmd|' /C calc'!A0",
        "(?:(?:a{1000}){1000}){1000}", "((a+)+)+$", "[", "(?<=a+)b", "\\", "a" * 1_001, "\ud800", "a\udfffb",
        dataset, dataset + "0", dataset[:-1], "0" * 20, "f" * 64, "F" * 20, "g" * 20,
        [], [None], [1, 2, 3], [-1], [10**12], list(range(2_000)), ["on"], ["on", "off", "x" * 50],
        {}, {"a": 1}, {"dataset": dataset}, {"dataset": "../x", "n": -1}, {"points": [{"pointIndex": -1}]},
        {"points": [{"pointIndex": 10**9, "customdata": [10**9]}]}, {"points": [{"customdata": "x"}]},
        {"points": [{"curveNumber": 0, "pointIndex": True}]}, {"points": [{"curveNumber": 1, "customdata": True}]},
        {"points": "x"}, {"xaxis.range[0]": float("nan"), "xaxis.range[1]": 1},
        {"scene.camera": {"eye": {"x": float("nan"), "y": 1, "z": 1}}}, {"range": {"x": [1, "a"]}},
        {"token": "0" * 16, "name": "../../x.npy", "filename": "x", "size": 10},
        {"token": "zz", "name": 1, "size": "big"}, {"uid": "x", "state": "x"},
        [{"uid": "u", "state": {"dataset": dataset, "method": "tsne", "subset": [-1, 10**9]}, "name": "b"}],
        [{"uid": "u", "state": "not a state", "name": None}],
        {"dataset": dataset, "n": 10**9, "subset": {"id": "x", "n": -5}, "request": {"method": "x"}},
    ]
    return rng.choice(pool)


def deep(n: int):
    v = []
    for _ in range(n):
        v = [v]
    return v


class Fuzzer:
    def __init__(self, url: str, data_dir: str, seed: int = 1, secret: str | None = None, num_points: int = 1797):
        from httpclient import Client

        self.url = url.rstrip("/")
        self.rng = random.Random(seed)
        self.client = Client(self.url, data_dir=data_dir, secret=secret)
        self.deps = [d for d in self.client.deps if not d.get("clientside_function")]
        layout = json.loads(http(self.url + "/_dash-layout")[1])
        self.dataset = picked_dataset(layout) or "0" * 20
        self.num_points = num_points
        self.statuses: Counter = Counter()
        self.failures: list[dict] = []
        self.tried = 0

    # --- one request --------------------------------------------------------------------------
    def _send(self, method: str, path: str, body: bytes | None = None, headers=None, label: str = ""):
        status, answer = http(self.url + path, method, body, headers or {})
        self.tried += 1
        self.statuses[status] += 1
        if status >= 500:
            self.failures.append({"route": path[:120], "status": status, "label": label,
                                  "body": (body or b"")[:400].decode("utf-8", "replace"),
                                  "answer": answer[:400].decode("utf-8", "replace")})
        return status, answer

    def _json(self, doc) -> bytes:
        return json.dumps(doc, allow_nan=True).encode()

    # --- callbacks ----------------------------------------------------------------------------
    def base(self) -> dict:
        """Plausible values of every input a page sends (records signed as the server signs them)."""
        from httpclient import view_record

        view = view_record(self.dataset, self.num_points)
        return {"view.data": view, "saved-view.data": None, "last-view.data": None,
                "dataset-picker.value": self.dataset, "neighbor-count.value": 100, "metric.value": "cosine",
                "search-query.value": "1", "search-column.value": None, "search-scope.value": "all",
                "search-regex.value": [], "projection-tabs.value": "pca", "spherize.value": ["on"],
                "color-by.value": None, "label-by.value": None, "pca-x.value": 0, "pca-y.value": 1, "pca-z.value": 2,
                "tsne-iterations.value": 300, "umap-neighbors.value": 15, "umap-min-dist.value": 0.1,
                "custom-left.value": "1", "custom-right.value": "2", "custom-regex.value": [],
                "selection.data": {"dataset": self.dataset, "anchor": 3, "neighbors": [], "points": None,
                                   "filter": False, "search": None},
                "url.search": "", "job-tick.n_intervals": 1}

    def callback_payload(self, cb: dict, mutate: int) -> dict:
        """The callback's request as the page sends it, with ``mutate`` slots given hostile values."""
        base = self.base()
        trigger = next((f"{i['id']}.{i['property']}" for i in cb["inputs"] if not i["id"].startswith("{")), None)
        if trigger is None:
            doc = {"output": cb["output"], "outputs": [], "inputs": [[] for _ in cb["inputs"]],
                   "state": [[] if s["id"].startswith("{") else {"id": s["id"], "property": s["property"],
                                                                  "value": base.get(f"{s['id']}.{s['property']}")}
                             for s in cb["state"]], "changedPropIds": []}
        else:
            doc = self.client._request(trigger, base.get(trigger, 1), base, inputs=base, cb=cb)
        slots = [x for x in doc["inputs"] + doc["state"] if isinstance(x, dict)]
        for slot in self.rng.sample(slots, min(mutate, len(slots))):
            slot["value"] = hostile_values(self.rng, self.dataset)   # a record made up: unsigned
        if doc["inputs"] and isinstance(doc["inputs"][0], dict):
            doc["changedPropIds"] = [f"{doc['inputs'][0]['id']}.{doc['inputs'][0]['property']}"]
        return doc

    def structural(self, cb: dict) -> bytes:
        """A body that is broken as a whole: not JSON, not an object, unknown output, wrong shapes."""
        doc = self.callback_payload(cb, 0)
        choice = self.rng.randrange(12)
        if choice == 0:
            return b"{not json"
        if choice == 1:
            return NESTED.encode()
        if choice == 2:
            return self._json(self.rng.choice([[], "x", 1, None, True]))
        if choice == 3:
            doc["output"] = self.rng.choice(["nothing.data", "", "..a.b..", "view.data@x", "x" * 10_000])
        elif choice == 4:
            doc.pop(self.rng.choice(["inputs", "state", "outputs", "output", "changedPropIds"]), None)
        elif choice == 5:
            doc["inputs"] = self.rng.choice([None, "x", {}, [1, 2], [{"id": 1}], doc["inputs"] * 2])
        elif choice == 6:
            doc["outputs"] = self.rng.choice([None, "x", [], [{"id": "view", "property": "data"}] * 7, {"id": 1}])
        elif choice == 7:
            doc["changedPropIds"] = self.rng.choice([None, "x", [1], [{}], ["nothing.value"]])
        elif choice == 8:
            for slot in doc["inputs"] + doc["state"]:
                if isinstance(slot, dict):
                    slot["id"] = self.rng.choice(["../x", {"type": "x"}, 1, None, slot["id"] + "x"])
                    break
        elif choice == 9:
            for slot in doc["inputs"] + doc["state"]:
                if isinstance(slot, dict):
                    slot["value"] = deep(self.rng.choice([50, 500, 3000]))
                    break
        elif choice == 10:
            doc["inputs"] = [[{"id": {"type": "bookmark-restore", "index": self.rng.choice(["../x", -1, None, [1]])},
                               "property": "n_clicks", "value": 1}] for _ in doc["inputs"]]
        else:
            for slot in doc["inputs"] + doc["state"]:
                if isinstance(slot, dict):
                    slot["property"] = self.rng.choice(["children", "__proto__", "", "data.x"])
                    break
        try:
            return self._json(doc)
        except (ValueError, RecursionError):
            return b"[]"

    def fuzz_callbacks(self, deadline: float) -> None:
        path = f"/_dash-update-component?endId={self.client.end_id}"
        while time.monotonic() < deadline:
            cb = self.rng.choice(self.deps)
            if cb["output"].startswith("projection-job-result") and self.rng.random() < 0.9:
                continue   # the background callback starts job processes: a few are enough
            if self.rng.random() < 0.25:
                body, label = self.structural(cb), "structural"
            else:
                try:
                    body, label = self._json(self.callback_payload(cb, self.rng.randint(1, 3))), "values"
                except (ValueError, RecursionError):
                    continue
            self._send("POST", path, body, {"Content-Type": "application/json"}, label=f"{label} {cb['output'][:60]}")

    # --- other routes ------------------------------------------------------------------------
    def fuzz_routes(self, deadline: float) -> None:
        r = self.rng
        while time.monotonic() < deadline:
            kind = r.randrange(10)
            if kind == 0:
                body = r.choice([self._json(hostile_values(r, self.dataset)), b"{", b"", self._json(
                    {"filename": hostile_values(r, self.dataset), "size": hostile_values(r, self.dataset)}),
                    b'{"filename": "a.npy", "size": 1e400}', self._json({"filename": "a" * 300 + ".npy", "size": 10})])
                status, answer = self._send("POST", "/api/uploads", body, {"Content-Type": "application/json"},
                                            label="upload start")
                if status == 200 and r.random() < 0.7:
                    token = json.loads(answer)["token"]
                    self._upload_steps(token)
            elif kind == 1:
                token = r.choice(["0" * 16, "../../x", "x", "f" * 16, "%2e%2e", "0" * 15 + "g"])
                offset = r.choice(["0", "-5", "1.5", "abc", "1e400", "99999999999999999999", ""])
                self._send("PUT", f"/api/uploads/{urllib.parse.quote(token, safe='')}?offset={offset}",
                           b"x" * r.choice([0, 10, 1000]), label="chunk to unknown upload")
            elif kind == 2:
                token = r.choice(["0" * 16, "x", "../x"])
                self._send(r.choice(["POST", "DELETE"]), f"/api/uploads/{urllib.parse.quote(token, safe='')}"
                           + ("/finish" if r.random() < 0.5 else ""), label="finish/cancel unknown")
            elif kind == 3:
                ds = r.choice([self.dataset, "0" * 20, "../x", "g" * 20, "x" * 300])
                index = r.choice(["0", "-1", "1e9", "99999999999999999999999", "x", "0.5", "1797"])
                self._send("GET", f"/api/sprites/{urllib.parse.quote(ds, safe='')}/{index}.png", label="sprite")
            elif kind == 4:
                q = r.choice(["view=x", "view=../../etc/passwd", "view=" + "f" * 64, "view=" + "a" * 5000,
                              "view=%00", "a=b&view=1&view=2", ""])
                self._send("GET", "/?" + q, label="page with a view link")
            elif kind == 5:
                self._send("GET", "/" + r.choice(["x", "../etc/passwd", "_dash-layout/x", "assets/../app.py",
                                                  "api/uploads", "api/sprites/x", "%00", "a" * 3000]), label="path")
            elif kind == 6:
                self._send(r.choice(["GET", "PUT", "DELETE"]), "/_dash-update-component", b"{}", label="method")
            elif kind == 7:
                self._send("POST", "/_dash-update-component", b"x" * 10, {"Content-Type": "text/plain"},
                           label="not json")
            elif kind == 8:
                ticket = r.choice(["0" * 32, "x", "../x", "f" * 64, "%00", "a" * 3000, ""])
                name = r.choice(["a.zip", "../../etc/passwd", "x" * 3000, "%00.zip", "", "a b.zip"])
                self._send(r.choice(["GET", "POST", "HEAD"]), f"/api/exports/tensorboard/{urllib.parse.quote(ticket, safe='')}/"
                           f"{urllib.parse.quote(name, safe='')}", label="tensorboard export")
            else:
                self._send("GET", r.choice(["/_dash-dependencies", "/_dash-layout", "/_reload-hash", "/_favicon.ico"]),
                           label="dash route")

    def _upload_steps(self, token: str) -> None:
        r = self.rng
        for _ in range(r.randint(1, 4)):
            step = r.randrange(5)
            if step == 0:
                offset = r.choice(["0", "-1", "1.5", "x", "5", "1e400"])
                self._send("PUT", f"/api/uploads/{token}?offset={offset}", b"y" * r.choice([0, 5, 10, 100]),
                           label="chunk")
            elif step == 1:
                self._send("POST", f"/api/uploads/{token}/finish", label="finish")
            elif step == 2:
                self._send("DELETE", f"/api/uploads/{token}", label="cancel")
            elif step == 3:
                self._send("PUT", f"/api/uploads/{token}", b"z" * 10, label="chunk without offset")
            else:
                self._send("POST", f"/api/uploads/{token}/finish", label="finish again")

    def run(self, seconds: float) -> dict:
        start = time.monotonic()
        self.fuzz_callbacks(start + seconds * 0.75)
        self.fuzz_routes(start + seconds)
        return {"payloads": self.tried, "seconds": round(time.monotonic() - start, 1),
                "statuses": dict(sorted(self.statuses.items())), "server_errors": len(self.failures),
                "examples": self.failures[:8]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("data_dir")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print(json.dumps(Fuzzer(args.url, args.data_dir, args.seed).run(args.seconds), ensure_ascii=False))


if __name__ == "__main__":
    main()
