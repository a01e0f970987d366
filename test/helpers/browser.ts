/**
 * Browser test fixtures: Debian's Chromium (installed with apt-get when missing, so CI on a fresh
 * machine passes), driven headless by playwright-core, and the real Worker in workerd to load
 * pages from.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { unstable_startWorker } from "wrangler";

export const CHROMIUM = "/usr/bin/chromium";

/**
 * Install Debian's chromium package unless `path` is there; needs root (CI runs as root).
 * @param uid the user this runs as (a parameter so the refusal can be tested)
 */
export function ensureChromium(path = CHROMIUM, uid = process.getuid?.()): void {
  if (existsSync(path)) return;
  if (uid !== 0) {
    throw new Error(`${path} is missing and this is not root: install it with \`apt-get install -y chromium\` (Debian) to run the browser tests`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { env, stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], { env, stdio: "inherit" });
  if (!existsSync(path)) throw new Error(`apt-get installed chromium but ${path} is still missing`);
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
