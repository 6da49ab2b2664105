"""Security of the running app: basic authentication, loopback and no debug by default, ids from clients."""
import base64
import json
import urllib.error
import urllib.request

import pytest

import app as app_module
from appproc import run_app, stop


def status(url, user=None, password=None, method="GET", data=None):
    request = urllib.request.Request(url, method=method, data=data)
    if user is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_defaults_are_loopback_and_no_debug():
    args = app_module.parse_args([])
    assert args.host == "127.0.0.1" and args.debug is False


def test_basic_authentication_guards_every_request(tmp_path):
    (tmp_path / "auth").write_text("team:s3cret-é\n", encoding="utf-8")
    credentials = base64.b64encode("team:s3cret-é".encode()).decode()
    proc, url, _ = run_app("--auth-file", str(tmp_path / "auth"), "--no-sample", "--data-dir", str(tmp_path / "d"),
                           headers={"Authorization": f"Basic {credentials}"})
    try:
        for path in ("/", "/_dash-layout", "/_dash-dependencies", "/api/sprites/0123456789abcdef/1.png"):
            assert status(url + path) == 401, path
            assert status(url + path, "team", "wrong") == 401, path
            assert status(url + path, "other", "s3cret-é") == 401, path
        assert status(url + "/", "team", "s3cret-é") == 200
        assert status(url + "/api/uploads", method="POST", data=b'{"filename": "x.npy", "size": 10}') == 401
    finally:
        stop(proc)


def test_a_bad_credentials_setting_stops_the_app(tmp_path):
    with pytest.raises(SystemExit, match="user:password"):
        app_module.require_login(app_module.Dash(__name__).server, "no-colon")


def test_a_runaway_regex_is_refused_in_bounded_time_while_others_are_served(tmp_path):
    import threading
    import time

    import numpy as np

    from httpclient import Client, http, picked_dataset, view_record

    np.save(tmp_path / "v.npy", np.random.default_rng(0).normal(size=(600, 4)).astype(np.float32))
    (tmp_path / "m.tsv").write_text("".join(("a" * 3000 + "!") if i % 100 == 0 else f"w{i}" for i in range(600))
                                    .replace("!", "!\n").replace("w", "\nw").lstrip("\n") + "\n")
    proc, url, _ = run_app("--embeddings", str(tmp_path / "v.npy"), "--metadata", str(tmp_path / "m.tsv"),
                           "--no-sample", "--data-dir", str(tmp_path / "d"))
    try:
        client = Client(url, data_dir=tmp_path / "d")
        dataset = picked_dataset(json.loads(http(url + "/_dash-layout")[1]))
        answer = {}

        def runaway():
            started = time.monotonic()
            # \\b has no exact RE2 equivalent: this one runs on the backtracking engine, under its time limit
            answer.update(client.call("search-query.value", "(a|aa)+\\b$", {"view.data": view_record(dataset, 600)},
                                      inputs={"search-regex.value": ["on"], "search-column.value": None,
                                              "search-scope.value": "all"}), seconds=time.monotonic() - started)

        thread = threading.Thread(target=runaway)
        thread.start()
        time.sleep(0.3)
        waits = []
        while thread.is_alive():
            started = time.monotonic()
            assert http(url + "/_dash-layout")[0] == 200
            waits.append(time.monotonic() - started)
            time.sleep(0.05)
        thread.join()
        assert answer["seconds"] < 4.0
        assert "took more than 2 s" in answer["search-message"]["children"]
        assert len(waits) >= 3 and max(waits) < 1.0, waits     # the app kept answering meanwhile
        # without \\b the same pattern goes to RE2, linear in the labels' length: answered at once
        started = time.monotonic()
        quick = client.call("search-query.value", "(a|aa)+$", {"view.data": view_record(dataset, 600)},
                            inputs={"search-regex.value": ["on"], "search-column.value": None,
                                    "search-scope.value": "all"})
        assert time.monotonic() - started < 1.0 and quick["search-message"]["children"] == "0 matches."
    finally:
        stop(proc)
