/** `npm run stress`'s command line: the option table, sized so the default run stays under ~10 minutes on 2 cores. */
import { type CommandSpec, flag, int, names, type Option, type OptionTable, text, UsageError, type Values } from "./args.js";
import { parseShape, type Shape } from "./stress-scenarios.js";

/** The servers a run stresses, in order. */
export const TARGETS = ["workerd", "node"] as const;
export type TargetName = (typeof TARGETS)[number];

/** A comma-separated list of request shapes ([COUNT*]NxTOKENS); empty for none. */
function shapes(def: string, description: string): Option<Shape[]> {
  return {
    type: "string",
    default: def,
    description,
    placeholder: "LIST",
    read(name, raw) {
      const list = (raw === undefined ? def : String(raw)).split(",").filter((s) => s.trim() !== "");
      try {
        return list.map(parseShape);
      } catch (e) {
        throw new UsageError(name, `--${name}: ${(e as Error).message}`);
      }
    },
  };
}

export const STRESS_COMMAND = {
  name: "stress",
  summary:
    "Stress the Worker in workerd and the Node server over loopback: concurrent streams against their replays alone, generated malformed requests, streams dropped by the client, a soak, and the peak memory of request shapes. Prints the figures, writes docs/reliability.md, and exits 1 when a check fails.",
  examples: ["npm run stress", "npm run stress -- --quick", "npm run stress -- --skip workerd --streams 16"],
  options: {
    streams: int(64, "concurrent streams (MAX_CONCURRENT is raised to this for the run)"),
    "stream-tokens": int(16, "max_tokens of each concurrent stream"),
    malformed: int(5000, "generated malformed requests"),
    "malformed-seed": int(1, "seed of the malformed-request generator", 0),
    dropped: int(20, "streams dropped by the client"),
    soak: int(400, "requests of the soak, one after another"),
    "soak-tokens": int(8, "max_tokens of each soak request"),
    shapes: shapes("1x1000,4*1x1000,8x1000", "request shapes whose peak memory is read, [COUNT*]NxTOKENS, smallest first (wasm memory never shrinks)"),
    "idle-ms": int(5000, "STREAM_IDLE_MS for the run: how long a dropped stream may hold its slot"),
    quick: flag("small sizes (8 streams, 500 malformed, 4 dropped, 40 soak, one short shape); prints only, unless --out is given"),
    out: text(undefined, "file the report goes to (default: docs/reliability.md, none with --quick)", "FILE"),
    skip: names(TARGETS, "servers to skip"),
  },
} satisfies CommandSpec<OptionTable>;

export type StressValues = Values<typeof STRESS_COMMAND.options>;

/** The sizes a run uses: the options, or --quick's where the option was left at its default. */
export interface StressPlan {
  readonly streams: number;
  readonly streamTokens: number;
  readonly malformed: number;
  readonly malformedSeed: number;
  readonly dropped: number;
  readonly soak: number;
  readonly soakTokens: number;
  readonly shapes: readonly Shape[];
  readonly idleMs: number;
}

/** The plan `values` ask for; `--quick` shrinks the sizes that `argv` does not set. */
export function planOf(values: StressValues, argv: readonly string[]): StressPlan {
  const set = (name: string) => argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  const size = (name: string, value: number, quick: number) => (values.quick && !set(name) ? quick : value);
  return {
    streams: size("streams", values.streams, 8),
    streamTokens: values["stream-tokens"],
    malformed: size("malformed", values.malformed, 500),
    malformedSeed: values["malformed-seed"],
    dropped: size("dropped", values.dropped, 4),
    soak: size("soak", values.soak, 40),
    soakTokens: values["soak-tokens"],
    shapes: values.quick && !set("shapes") ? [{ concurrent: 1, n: 1, tokens: 100 }] : values.shapes,
    idleMs: values["idle-ms"],
  };
}

/** The variables a run sets over both servers' own: enough slots for every scenario, and the plan's idle limit; the shipped memory budget stays. */
export function varsOf(plan: StressPlan): Readonly<Record<string, string>> {
  const slots = Math.max(plan.streams, plan.dropped, ...plan.shapes.map((s) => s.concurrent));
  return { MAX_CONCURRENT: String(slots), STREAM_IDLE_MS: String(plan.idleMs) };
}
