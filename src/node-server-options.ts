/**
 * Node server options — where `npm run start:node` listens and what it serves, from its
 * environment. Its default port is one above wrangler dev's 8787, so the Worker and the Node
 * server run side by side.
 */

/** The Node server's port when PORT is unset: `npm start` (wrangler dev) has 8787. */
export const NODE_DEFAULT_PORT = 8788;

export interface NodeServerOptions {
  /** TCP port (PORT, default 8788; 0 picks a free one). */
  readonly port: number;
  /** Interface to bind (HOST, default 127.0.0.1). */
  readonly hostname: string;
  /** The asset tree scripts/build-assets.mjs writes (ASSETS_DIR, default .assets). */
  readonly assetsDir: string;
}

/** Options from environment variables; an unset or empty one keeps its default. Throws naming a PORT that is not a port. */
export function nodeServerOptions(env: Readonly<Record<string, string | undefined>>): NodeServerOptions {
  const raw = env["PORT"];
  const port = raw ? Number(raw) : NODE_DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be an integer in [0, 65535], got ${JSON.stringify(raw)}`);
  return { port, hostname: env["HOST"] || "127.0.0.1", assetsDir: env["ASSETS_DIR"] || ".assets" };
}
