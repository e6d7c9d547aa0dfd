// The TypeScript SDK path (openapi-fetch on the generated types) against a live server.
// Run by tests/e2e/test_typescript_sdk.py, which serves the API and sets CLOVER_BASE_URL,
// CLOVER_API_KEY and CLOVER_ORGANISATION_ID; by hand: `node --test e2e.test.mjs`.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import createClient from "openapi-fetch";

const { CLOVER_BASE_URL, CLOVER_API_KEY, CLOVER_ORGANISATION_ID } = process.env;
const STRATEGY = "/v1/organisations/{organisation_id}/strategies/{strategy_id}";

function clover() {
  assert.ok(CLOVER_BASE_URL && CLOVER_API_KEY && CLOVER_ORGANISATION_ID, "set CLOVER_* first");
  return createClient({
    baseUrl: CLOVER_BASE_URL,
    headers: { Authorization: `Bearer ${CLOVER_API_KEY}` },
  });
}

test("creates a strategy and reads it back", async () => {
  const api = clover();
  const organisation_id = CLOVER_ORGANISATION_ID;
  const created = await api.POST("/v1/organisations/{organisation_id}/strategies", {
    params: { path: { organisation_id } },
    body: { name: "Grow B2B leads", period_start: "2027-01-01", period_end: "2027-12-31" },
  });
  assert.equal(created.response.status, 201, JSON.stringify(created.error));
  assert.equal(created.data.status, "draft");

  const read = await api.GET(STRATEGY, {
    params: { path: { organisation_id, strategy_id: created.data.id } },
  });
  assert.equal(read.response.status, 200, JSON.stringify(read.error));
  assert.ok(read.response.headers.get("etag"), "reads carry an ETag");
  assert.deepEqual(
    [read.data.id, read.data.name, read.data.period_start],
    [created.data.id, "Grow B2B leads", "2027-01-01"],
  );
});

test("another id is a 404 problem document", async () => {
  const missing = await clover().GET(STRATEGY, {
    params: { path: { organisation_id: CLOVER_ORGANISATION_ID, strategy_id: randomUUID() } },
  });
  assert.equal(missing.data, undefined);
  assert.equal(missing.response.status, 404);
  assert.match(missing.response.headers.get("content-type"), /^application\/problem\+json/);
  assert.equal(missing.error.status, 404);
  assert.equal(typeof missing.error.title, "string");
  assert.equal(typeof missing.error.request_id, "string");
});
