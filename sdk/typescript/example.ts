// The README's TypeScript example; type-checked (tsc --noEmit) by tests/e2e/test_typescript_sdk.py.
import createClient from "openapi-fetch";
import type { paths } from "clover-client"; // the packed types of `make sdk` (build/sdk/dist)

const API_KEY = "<your API key>";
const organisation_id = "<your organisation id>";
const api = createClient<paths>({
  baseUrl: "http://127.0.0.1:8000",
  headers: { Authorization: `Bearer ${API_KEY}` },
});
const { data, error } = await api.POST("/v1/organisations/{organisation_id}/strategies", {
  params: { path: { organisation_id } },
  body: { name: "Grow B2B leads", period_start: "2027-01-01", period_end: "2027-12-31" },
});
if (error) throw new Error(`${error.status} ${error.title}: ${error.detail}`);
console.log(data.id, data.status);
