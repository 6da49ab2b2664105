"""Browser tests: the real app in headless Chromium (Debian's chromium + chromium-driver) via dash_duo."""
import pytest

from helpers import chrome_options


def pytest_setup_options():
    return chrome_options()


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def projector_app(tmp_path_factory):
    """One app for the session: Dash hands @callback registrations to the first app a process makes."""
    from app import create_app

    return create_app(tmp_path_factory.mktemp("projector") / "data")
