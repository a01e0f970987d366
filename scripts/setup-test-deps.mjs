#!/usr/bin/env node
/**
 * setup-test-deps — the system packages the tests need beyond node_modules, installed before the
 * tests run (npm test calls this) rather than from inside a test. Today that is one: Debian's
 * Chromium at /usr/bin/chromium, which test/playground.test.ts drives through playwright-core.
 *
 * Present: says so and does nothing. Missing as root (CI): runs apt-get, printing each command.
 * Missing otherwise: prints the command to run and exits 0, so every other test still runs; the
 * browser test then fails naming this script.
 *
 * Usage: node scripts/setup-test-deps.mjs
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Where the browser tests look for Chromium (test/helpers/browser.ts). */
const CHROMIUM = "/usr/bin/chromium";
const APT = [
  ["apt-get", "update", "-qq"],
  ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
];

const log = (line) => console.log(`setup-test-deps: ${line}`);

if (existsSync(CHROMIUM)) {
  log(`${CHROMIUM} present, nothing to install`);
} else if (process.getuid?.() !== 0) {
  log(`${CHROMIUM} is missing and this is not root; the browser test will fail until you run:`);
  log(`  sudo apt-get install -y chromium    (Debian; or sudo node scripts/setup-test-deps.mjs)`);
} else {
  log(`${CHROMIUM} is missing; installing Debian's chromium package`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const [command, ...args] of APT) {
    log(`$ ${command} ${args.join(" ")}`);
    execFileSync(command, args, { env, stdio: "inherit" });
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`);
  log(`${CHROMIUM} installed`);
}
