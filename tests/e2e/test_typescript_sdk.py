"""The TypeScript SDK path: openapi-typescript types and openapi-fetch against a live server.

`npm ci` of the pinned tools (sdk/typescript/package-lock.json; skipped while
node_modules matches the lock), the types generated into build/sdk/typescript (skipped
while current) and packed as `make sdk` packs them (clover-client-<version>.tgz), that
tarball installed offline beside the tools as a user would install it, then `tsc` on
the README's example (which imports its types from the installed package) and
`node --test sdk/typescript/e2e.test.mjs` with the live server's
base URL, a factory organisation and its owner key in the environment. Without node
or npm the test fails and says how to install them.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from sdk import generate
from tests.e2e.live_server import serving

NODE_TEST_SECONDS = 60


def test_typescript_client_creates_and_reads_a_strategy(app, factory, tmp_path):
    try:
        node, npm = generate.node_tools()
        tarball = generate.npm_tarball(tmp_path)
    except generate.SdkError as error:
        pytest.fail(str(error), pytrace=False)
    version = json.loads(generate.SPEC.read_text())["info"]["version"]
    assert tarball.name == f"clover-client-{version}.tgz"
    # Offline: npm would ask the registry about the peer openapi-fetch to check it, which
    # is already here, pinned by the tools' lock; --no-save leaves that lock as it is.
    installed = subprocess.run(
        [
            npm,
            "install",
            "--no-save",
            "--offline",
            "--legacy-peer-deps",
            "--no-audit",
            "--no-fund",
            tarball,
        ],
        cwd=generate.TS_TOOLS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert installed.returncode == 0, f"npm install:\n{installed.stdout}{installed.stderr}"
    package = generate.TS_TOOLS / "node_modules" / "clover-client"
    assert json.loads((package / "package.json").read_text())["version"] == version
    assert (package / "schema.d.ts").stat().st_size > 0
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
