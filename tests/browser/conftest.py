"""Browser tests: the real app in headless Chromium (Debian's chromium + chromium-driver) via dash_duo."""
import shutil

import pytest
from selenium.webdriver.chrome.options import Options

CHROME_FLAGS = ["--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1400,900"]


def pytest_setup_options():
    options = Options()
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    chromium = shutil.which("chromium")
    if chromium:
        options.binary_location = chromium
    return options


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def projector_app(tmp_path_factory):
    """One app for the session: Dash hands @callback registrations to the first app a process makes."""
    from app import create_app

    return create_app(tmp_path_factory.mktemp("projector") / "data")
