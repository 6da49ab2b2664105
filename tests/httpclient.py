"""The app's HTTP side as the browser uses it: chunked uploads and callbacks, for tests and the load bench."""
import json
import urllib.error
import urllib.request


def http(url, method="GET", body=None, headers=None):
    request = urllib.request.Request(url, method=method, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def post_json(url, doc):
    status, body = http(url, "POST", json.dumps(doc).encode(), {"Content-Type": "application/json"})
    return status, json.loads(body or b"{}")


class Client:
    """Calls the app's callbacks over HTTP as dash-renderer does, found by their inputs."""

    def __init__(self, url):
        self.url = url
        self.deps = json.loads(http(f"{url}/_dash-dependencies")[1])

    def call(self, trigger: str, value, state: dict) -> dict:
        cb = next(c for c in self.deps if any(f"{i['id']}.{i['property']}" == trigger for i in c["inputs"]))
        outputs = [dict(zip(("id", "property"), part.split("@")[0].rsplit(".", 1)))
                   for part in cb["output"].strip(".").split("...")]
        doc = {"output": cb["output"], "outputs": outputs,
               "inputs": [{"id": i["id"], "property": i["property"], "value": value} for i in cb["inputs"]],
               "state": [{"id": s["id"], "property": s["property"], "value": state.get(f"{s['id']}.{s['property']}")}
                         for s in cb["state"]],
               "changedPropIds": [trigger]}
        status, answer = post_json(f"{self.url}/_dash-update-component", doc)
        assert status == 200, answer
        return answer.get("response", {})

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
