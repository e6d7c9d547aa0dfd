"""Fixtures of the end-to-end tests."""

from __future__ import annotations

import importlib
import sys

import pytest

from sdk import generate


@pytest.fixture(scope="module")
def sdk():
    """The generated Python client package, imported from build/sdk/python (generated from
    the committed spec, or reused while the spec is unchanged)."""
    try:
        folder = generate.python_client()
    except generate.SdkError as error:
        pytest.fail(str(error), pytrace=False)
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module(generate.PYTHON_PACKAGE)
    finally:
        sys.path.remove(str(folder))
