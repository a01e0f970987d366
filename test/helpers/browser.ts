/**
 * Browser test fixtures: Debian's Chromium (installed before the tests by
 * scripts/setup-test-deps.mjs, which npm test runs), driven headless by playwright-core, and the
 * real Worker in workerd to load pages from.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { unstable_startWorker } from "wrangler";

export const CHROMIUM = "/usr/bin/chromium";

/** Throws, naming the set-up step to run, unless Chromium is at `path`; installs nothing. */
export function requireChromium(path = CHROMIUM): void {
  if (existsSync(path)) return;
  throw new Error(`${path} is missing: run \`node scripts/setup-test-deps.mjs\` as root (it runs \`apt-get install -y chromium\`) before the browser tests`);
}

/** Headless Chromium with no sandbox, GPU or background traffic (containers, CI). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** The Worker of wrangler.toml in workerd (its [build] step, ASSETS and wasm), on a free local port. */
export async function startLocalWorker() {
  // Miniflare would otherwise fetch Request.cf metadata from the network at start.
  process.env["CLOUDFLARE_CF_FETCH_ENABLED"] = "false";
  return unstable_startWorker({
    config: "wrangler.toml",
    sendMetrics: false,
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, persist: false, logLevel: "warn" },
  });
}
