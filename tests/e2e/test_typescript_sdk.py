"""The TypeScript SDK path: openapi-typescript types and openapi-fetch against a live server.

`npm ci` of the pinned tools (sdk/typescript/package-lock.json; skipped while
node_modules matches the lock), the types generated into build/sdk/typescript (skipped
while current), then `tsc` on the README's example and
`node --test sdk/typescript/e2e.test.mjs` with the live server's
base URL, a factory organisation and its owner key in the environment. Without node
or npm the test fails and says how to install them.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from sdk import generate
from tests.e2e.live_server import serving

NODE_TEST_SECONDS = 60


def test_typescript_client_creates_and_reads_a_strategy(app, factory):
    try:
        node, _ = generate.node_tools()
        types = generate.typescript_types()
    except generate.SdkError as error:
        pytest.fail(str(error), pytrace=False)
    assert (types / "schema.d.ts").stat().st_size > 0
    # The README's example (sdk/typescript/example.ts) type-checks against the generated types.
    tsc = generate.TS_TOOLS / "node_modules" / "typescript" / "bin" / "tsc"
    checked = subprocess.run(
        [node, tsc, "-p", "."], cwd=generate.TS_TOOLS, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, f"tsc:\n{checked.stdout}{checked.stderr}"
    org = factory.organisation()

    with serving(app) as base_url:
        env = {
            **os.environ,
            "CLOVER_BASE_URL": base_url,
            "CLOVER_API_KEY": org.token,
            "CLOVER_ORGANISATION_ID": str(org.id),
            "NO_COLOR": "1",
        }
        done = subprocess.run(
            [node, "--test", "e2e.test.mjs"],
            cwd=generate.TS_TOOLS,
            env=env,
            capture_output=True,
            text=True,
            timeout=NODE_TEST_SECONDS,
        )
    assert done.returncode == 0, f"node --test failed:\n{done.stdout}\n{done.stderr}"
    assert "# pass 2" in done.stdout, done.stdout
