"""The app's HTTP side as the browser uses it: chunked uploads and callbacks, for tests and the load bench."""
import json
import urllib.error
import urllib.request

from callbacks.boundary import SIGNED, signed


def http(url, method="GET", body=None, headers=None):
    request = urllib.request.Request(url, method=method, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def post_json(url, doc):
    status, body = http(url, "POST", json.dumps(doc).encode(), {"Content-Type": "application/json"})
    try:
        return status, json.loads(body or b"{}")
    except ValueError:
        raise AssertionError(f"HTTP {status}: {body[:300]!r}") from None


def view_record(dataset_id: str, num_points: int, subset=None, selection=None, **more) -> dict:
    """The view record a page would hold for a data set (what callbacks read as State(view.data))."""
    return {"dataset": dataset_id, "name": "", "num_points": num_points, "dim": 0, "version": 0, "sprite": False,
            "subset": subset, "n": (subset or {}).get("n", num_points), "spherize": False,
            "request": {"method": "pca", "dims": 2, "params": {"components": [0, 1]}}, "colour_by": None,
            "label_by": None, "images": False, "selection": selection,
            "search": {"query": "", "regex": False, "column": None, "scope": "all"},
            "neighbours": {"k": 100, "metric": "cosine"}, "camera": None, **more}


def picked_dataset(node):
    """The data-set picker's value in a layout tree."""
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("id") == "dataset-picker":
            return props.get("value")
        return next((v for v in map(picked_dataset, [props.get("children"), *node.values()]) if v), None)
    if isinstance(node, list):
        return next((v for v in map(picked_dataset, node) if v), None)
    return None


class Client:
    """Calls the app's callbacks over HTTP as dash-renderer does, found by their inputs."""

    def __init__(self, url, deps=None, data_dir=None, secret=None):
        """``data_dir``: the app's, whose key signs the records a page holds (the view, selection, job…),
        as the app signed them when it sent them."""
        self.url = url
        self.key = None
        if data_dir is not None:
            import os

            from callbacks.boundary import secret_of

            self.key = secret_of(str(data_dir), secret or os.environ.get("PROJECTOR_SECRET"))
        self.deps = deps or json.loads(http(f"{url}/_dash-dependencies")[1])
        page = http(f"{url}/")[1].decode()
        config = json.loads(page.split('<script id="_dash-config" type="application/json">', 1)[1].split("</script>")[0])
        self.end_id = config.get("end_id", "")   # echoed on every callback request, as the renderer does

    def _request(self, trigger: str, value, state: dict, inputs: dict | None = None, cb: dict | None = None):
        cb = cb or next(c for c in self.deps if any(f"{i['id']}.{i['property']}" == trigger for i in c["inputs"]))
        outputs = [dict(zip(("id", "property"), part.split("@")[0].rsplit(".", 1)))
                   for part in cb["output"].strip(".").split("...")]
        if not cb["output"].startswith(".."):   # one output: the renderer sends it alone, not in a list
            outputs = outputs[0]

        def entry(i, given):
            if i["id"].startswith("{"):    # a pattern-matching input: the matching components (none here)
                return []
            key = f"{i['id']}.{i['property']}"
            v = value if key == trigger else given.get(key)
            if self.key is not None and i["property"] == "data" and i["id"] in SIGNED:
                v = signed(v, self.key)
            return {"id": i["id"], "property": i["property"], "value": v}

        doc = {"output": cb["output"], "outputs": outputs,
               "inputs": [entry(i, inputs or {}) for i in cb["inputs"]],
               "state": [entry(s, state) for s in cb["state"]], "changedPropIds": [trigger]}
        return doc

    def call(self, trigger: str, value, state: dict, inputs: dict | None = None) -> dict:
        """A plain callback: the response's outputs by id and property."""
        doc = self._request(trigger, value, state, inputs)
        status, answer = post_json(f"{self.url}/_dash-update-component?endId={self.end_id}", doc)
        assert status == 200, answer
        return answer.get("response", {})

    def call_background(self, trigger: str, value, state: dict, timeout: float = 120.0) -> dict:
        """A background callback: start the job, then poll with its signed handles until it answers."""
        import time
        from urllib.parse import quote

        doc = self._request(trigger, value, state)
        status, answer = post_json(f"{self.url}/_dash-update-component?endId={self.end_id}", doc)
        assert status == 200, (status, answer)
        if "response" in answer:
            return answer["response"]
        poll = (f"{self.url}/_dash-update-component?endId={self.end_id}&cacheKey={quote(answer['cacheKey'])}"
                f"&job={quote(answer['job'])}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.25)
            status, answer = post_json(poll, doc)
            assert status == 200, (status, answer)
            if "response" in answer:
                return answer["response"]
        raise TimeoutError(f"{trigger}: no answer in {timeout:g} s")

    def post(self, path: str, doc: dict):
        return post_json(self.url + path, doc)

    def upload(self, name: str, data: bytes) -> dict:
        """The finished upload's handle, or the server's refusal (shown beside the file box)."""
        status, begun = post_json(f"{self.url}/api/uploads", {"filename": name, "size": len(data)})
        if status != 200:
            return {"refused": begun["error"]}
        for offset in range(0, max(len(data), 1), begun["chunk"]):
            status, _ = http(f"{self.url}/api/uploads/{begun['token']}?offset={offset}", "PUT",
                             data[offset:offset + begun["chunk"]])
            assert status == 200
        status, handle = post_json(f"{self.url}/api/uploads/{begun['token']}/finish", {})
        assert status == 200, handle
        return handle
