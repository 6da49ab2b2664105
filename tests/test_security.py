"""Security of the running app: basic authentication, loopback and no debug by default, ids from clients."""
import base64
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
