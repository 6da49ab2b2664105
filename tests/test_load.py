"""Load: 20 clients at once against gunicorn with several worker processes; every answer is checked
(neighbours against brute force, searches against re, projections against their own request)."""
import projector
from appproc import run_app, stop
from loadwork import make_dataset, run


def test_twenty_clients_at_once_get_their_own_correct_answers(tmp_path):
    data = tmp_path / "data"
    ds = make_dataset(n=5_000, dim=64)
    projector.DatasetStore(data / "store").add(ds)
    proc, url, _ = run_app(gunicorn_workers=3, env={"PROJECTOR_DATA_DIR": str(data)}, timeout=120)
    try:
        report = run(url, ds, clients=20, seconds=12)
    finally:
        stop(proc)
    print(report)
    assert report["errors"] == 0, report["error_examples"]
    assert report["neighbours_count"] > 20 and report["search_count"] > 10 and report["projection_count"] >= 5
