// Rihla in a real browser (headless Debian Chromium driven by playwright-core):
//
//   cors     a page on an allowed origin logs in and reads a list across
//            origins (real preflights: JSON body, Authorization, If-Match),
//            and reads the headers a frontend needs; the same page on an
//            origin not in APP_CORS_ORIGINS cannot read anything.
//   swagger  Swagger UI loads under its Content-Security-Policy with no
//            violation, and Authorize offers both security schemes.
//   demo     the first five minutes: on a `serve --demo` server, Authorize
//            with a token, then "Try it out" and "Execute" on every list
//            operation that needs no id: each answers 200 with records, and
//            GET /api/v1/projects shows LIBMITAF.
//
// Usage: node browser.mjs BINARY      (run by .ci/run; `npm ci` first)
// Bounded: loopback only, every wait has a timeout, the whole run is capped.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const ADMIN_EMAIL = "admin@rihla.test";
const ADMIN_PASSWORD = "browser-test-admin-password";
const CAP_MS = 300_000;

const cap = setTimeout(() => fail(`the run passed ${CAP_MS / 1000} s`), CAP_MS);
let cleanup = async () => {};

function fail(message) {
  console.error(`FAIL: ${message}`);
  cleanup().finally(() => process.exit(1));
}

function check(ok, message) {
  if (!ok) throw new Error(message);
  console.log(`ok - ${message}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/// A page server standing in for the frontend team's app on its own origin.
function pageServer(port) {
  const server = http.createServer((_, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>frontend</title><p>frontend</p>");
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

async function startRihla(binary, port, env) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "rihla-browser-"));
  const proc = spawn(binary, ["serve"], {
    env: {
      ...process.env,
      APP_BIND: `127.0.0.1:${port}`,
      APP_DATA_DIR: dataDir,
      APP_ADMIN_EMAIL: ADMIN_EMAIL,
      APP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      APP_LOG_FORMAT: "json",
      RUST_LOG: "warn",
      ...env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`rihla exited with ${proc.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/ready`);
      if (res.status === 200) return { proc, dataDir };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("rihla did not become ready within 30 s");
}

/// What the frontend's script does: log in, then read a list with the token.
async function crossOriginCalls(page, api) {
  return page.evaluate(
    async ({ api, email, password }) => {
      try {
        const login = await fetch(`${api}/api/v1/auth/token`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-request-id": "frontend-1" },
          body: JSON.stringify({ email, password }),
        });
        const tokens = await login.json();
        const list = await fetch(`${api}/api/v1/organisations?limit=5`, {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        });
        const created = await fetch(`${api}/api/v1/organisations`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${tokens.access_token}`,
            "content-type": "application/json",
            "idempotency-key": "browser-create-1",
          },
          body: JSON.stringify({ name: "Ministry of Foreign Affairs", kind: "government_ministry" }),
        });
        const record = await created.json();
        const patched = await fetch(`${api}/api/v1/organisations/${record.id}`, {
          method: "PATCH",
          headers: {
            authorization: `Bearer ${tokens.access_token}`,
            "content-type": "application/merge-patch+json",
            "if-match": created.headers.get("etag"),
          },
          body: JSON.stringify({ acronym: "MoFA" }),
        });
        return {
          ok: true,
          login: login.status,
          list: list.status,
          requestId: list.headers.get("x-request-id"),
          correlationId: login.headers.get("x-correlation-id"),
          created: created.status,
          location: created.headers.get("location"),
          etag: created.headers.get("etag"),
          patched: patched.status,
          patchedEtag: patched.headers.get("etag"),
        };
      } catch (e) {
        return { ok: false, error: String(e) };
      }
    },
    { api, email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
  );
}

/// The demo server, as an admin meets it: every list in Swagger UI, tried.
async function firstFiveMinutes(browser, binary) {
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const demo = await startRihla(binary, port, { APP_DEMO: "true" });
  try {
    const login = await fetch(`${api}/api/v1/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
    });
    const token = (await login.json()).access_token;
    const spec = await (await fetch(`${api}/api-docs/openapi.json`)).json();
    const lists = [];
    for (const [path, item] of Object.entries(spec.paths)) {
      const op = item.get;
      const schema = op?.responses?.["200"]?.content?.["application/json"]?.schema?.$ref || "";
      // The demo data set has no API keys (it holds no secrets).
      if (op && !path.includes("{") && /Page|ChangeFeed/.test(schema) && path !== "/api/v1/api-keys") {
        lists.push({ path, id: `operations-${op.tags[0]}-${op.operationId}` });
      }
    }
    const page = await browser.newPage();
    await page.goto(`${api}/swagger-ui/`, { timeout: 15_000 });
    await page.waitForSelector(".opblock", { timeout: 15_000 });
    await page.click("button.authorize");
    // The bearer scheme's own field: an access token is not an API key, and
    // X-Api-Key refuses one (issue 28).
    const bearer = page.locator(".modal-ux .auth-container", { hasText: /http, ?Bearer/i });
    await bearer.locator("input").first().fill(token);
    await bearer.locator("button.authorize").click();
    await page.click(".modal-ux button.btn-done");
    let tried = 0;
    for (const { path, id } of lists) {
      const block = page.locator(`#${id}`);
      await block.locator(".opblock-summary").first().click();
      await block.locator(".try-out__btn").click();
      await block.locator(".execute").click();
      const status = block.locator(".live-responses-table tr.response .response-col_status").first();
      await status.waitFor({ timeout: 15_000 });
      const code = (await status.textContent()).trim();
      const body = await block.locator(".live-responses-table tr.response .response-col_description pre").first().textContent();
      const items = JSON.parse(body).items || [];
      check(code === "200" && items.length > 0, `demo: Try it out on GET ${path} lists records (${code}, ${items.length})`);
      if (path === "/api/v1/projects") {
        check(body.includes("LIBMITAF"), "demo: GET /api/v1/projects shows LIBMITAF");
      }
      await block.locator(".opblock-summary").first().click();
      tried += 1;
    }
    check(tried >= 10, `demo: ${tried} list operations tried`);
  } finally {
    demo.proc.kill("SIGTERM");
    rmSync(demo.dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const binary = process.argv[2];
  if (!binary) throw new Error("usage: node browser.mjs BINARY");
  const [apiPort, allowedPort, otherPort] = [await freePort(), await freePort(), await freePort()];
  const allowed = `http://127.0.0.1:${allowedPort}`;
  const other = `http://127.0.0.1:${otherPort}`;
  const api = `http://127.0.0.1:${apiPort}`;
  const rihla = await startRihla(binary, apiPort, { APP_CORS_ORIGINS: allowed });
  const pages = [await pageServer(allowedPort), await pageServer(otherPort)];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  cleanup = async () => {
    await browser.close().catch(() => {});
    for (const p of pages) p.close();
    rihla.proc.kill("SIGTERM");
    rmSync(rihla.dataDir, { recursive: true, force: true });
  };
  try {
    const page = await browser.newPage();

    // cors: the allowed origin.
    await page.goto(allowed, { timeout: 15_000 });
    const good = await crossOriginCalls(page, api);
    check(good.ok && good.login === 200 && good.list === 200, `allowed origin: login and list work (${JSON.stringify(good)})`);
    check(Boolean(good.requestId) && good.correlationId === "frontend-1", "allowed origin: X-Request-Id and X-Correlation-Id are readable");
    check(good.created === 201 && Boolean(good.location) && Boolean(good.etag), "allowed origin: a create's Location and ETag are readable");
    check(good.patched === 200 && good.patchedEtag === '"2"', "allowed origin: a PATCH with If-Match passes its preflight");

    // cors: an origin not on the list.
    await page.goto(other, { timeout: 15_000 });
    const bad = await crossOriginCalls(page, api);
    check(!bad.ok && /fetch/i.test(bad.error), `other origin: the browser refuses to let the script read (${bad.error})`);

    // swagger: under its CSP.
    const violations = [];
    const swagger = await browser.newPage();
    swagger.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    const res = await swagger.goto(`${api}/swagger-ui/`, { timeout: 15_000 });
    check(/frame-ancestors 'none'/.test(res.headers()["content-security-policy"] || ""), "swagger: served with a CSP");
    await swagger.waitForSelector(".swagger-ui .info .title", { timeout: 15_000 });
    await swagger.waitForSelector(".opblock", { timeout: 15_000 });
    await swagger.click("button.authorize", { timeout: 10_000 });
    await swagger.waitForSelector(".modal-ux", { timeout: 10_000 });
    const dialog = await swagger.textContent(".modal-ux");
    check(/bearer/i.test(dialog) && /api_key/.test(dialog) && /X-Api-Key/.test(dialog), "swagger: Authorize offers bearer and api_key");
    check(violations.length === 0, `swagger: no CSP violation (${violations.join(" | ")})`);

    await firstFiveMinutes(browser, binary);
  } finally {
    await cleanup();
  }
  clearTimeout(cap);
  console.log("browser tests: passed");
}

main().catch((e) => fail(e.stack || String(e)));
