import { startTestServer } from "./test/helpers/server.ts";

const s = await startTestServer("sqlite");
const r = await fetch(s.url + "/openapi.json");
process.stdout.write(await r.text());
await s.close();
