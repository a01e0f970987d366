/**
 * Asset reader — how the server reads the files `scripts/build-assets.mjs` lays out (models/,
 * schedules/, the manifest), whether they sit behind a Worker's ASSETS binding or on disk.
 */

/** Bytes of the file at `path` (relative to the asset root, e.g. "models/m/config.json"), or undefined when absent. */
export type AssetReader = (path: string) => Promise<Uint8Array | undefined>;

/** A reader fetching each path relative to `base` with `get` (404 reads as absent). */
export function urlReader(get: (url: URL) => Promise<Response>, base: string | URL): AssetReader {
  return async (path) => {
    const res = await get(new URL(path, base));
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`asset ${path}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
}

/** A reader over a Workers static-assets binding. */
export function fetcherReader(assets: Fetcher): AssetReader {
  // The host is never contacted: the binding resolves the path against the deployed assets.
  return urlReader((url) => assets.fetch(url), "https://assets.local/");
}

/**
 * A file the asset tree holds in numbered parts (`<path>.0`, `<path>.1`, …), because it is over
 * the Workers per-asset limit; undefined when there is no part 0.
 */
export async function readParts(read: AssetReader, path: string): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = [];
  for (let part = await read(`${path}.0`); part !== undefined; part = await read(`${path}.${parts.length}`)) parts.push(part);
  if (parts.length === 0) return undefined;
  const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    whole.set(p, offset);
    offset += p.length;
  }
  return whole;
}

/** The JSON in `bytes`; throws naming the file at `path` when malformed. */
export function parseJson(bytes: Uint8Array, path: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`asset ${path} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The JSON file at `path`; throws naming the file when it is absent or malformed. */
export async function readJson(read: AssetReader, path: string): Promise<unknown> {
  const bytes = await read(path);
  if (bytes === undefined) throw new Error(`asset ${path} is missing`);
  return parseJson(bytes, path);
}

/** The JSON file at `path`, or undefined when absent; throws naming the file when malformed. */
export async function readOptionalJson(read: AssetReader, path: string): Promise<unknown> {
  const bytes = await read(path);
  return bytes === undefined ? undefined : parseJson(bytes, path);
}
