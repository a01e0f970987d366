/**
 * Nelder–Mead — the derivative-free simplex minimiser (Nelder & Mead 1965) with the standard
 * coefficients (reflection 1, expansion 2, contraction ½, shrink ½; Lagarias et al. 1998).
 *
 * The objective is async because each evaluation is a batch of model rollouts; evaluations are
 * counted and capped, since they are what a fit pays for. It never needs gradients, which a
 * rollout MSE (a sum over discrete token draws) does not have.
 */

export interface NelderMeadOptions {
  /** Initial simplex: x0 plus `step` along each axis; default 0.1. */
  step?: number | readonly number[];
  /** Stop after this many objective evaluations; default 200. */
  maxEvaluations?: number;
  /** Stop when the simplex's values span less than this; default 1e-8. */
  tolerance?: number;
  /** Called after every evaluation with the best point so far. */
  onEvaluation?: (best: NelderMeadResult) => void;
}

export interface NelderMeadResult {
  x: number[];
  value: number;
  evaluations: number;
}

/** Minimise `f` from `x0`; returns the best point seen. */
export async function nelderMead(f: (x: number[]) => Promise<number> | number, x0: readonly number[], options: NelderMeadOptions = {}): Promise<NelderMeadResult> {
  const n = x0.length;
  if (n === 0) throw new RangeError("x0 must not be empty");
  const { step = 0.1, maxEvaluations = 200, tolerance = 1e-8, onEvaluation } = options;
  if (!Number.isInteger(maxEvaluations) || maxEvaluations < n + 1) throw new RangeError(`maxEvaluations must be an integer >= ${n + 1}, got ${maxEvaluations}`);
  const steps = typeof step === "number" ? new Array<number>(n).fill(step) : [...step];
  if (steps.length !== n) throw new RangeError(`step must have ${n} values, got ${steps.length}`);

  let evaluations = 0;
  let best: NelderMeadResult = { x: [...x0], value: Infinity, evaluations: 0 };
  const evaluate = async (x: number[]): Promise<{ x: number[]; value: number }> => {
    const raw = await f(x);
    const value = Number.isNaN(raw) ? Infinity : raw;
    evaluations++;
    if (value < best.value) best = { x: [...x], value, evaluations };
    else best = { ...best, evaluations };
    onEvaluation?.(best);
    return { x, value };
  };
  const along = (a: number[], b: number[], t: number): number[] => a.map((ai, i) => ai + t * (b[i]! - ai));

  const simplex = [await evaluate([...x0])];
  for (let i = 0; i < n; i++) {
    const x = [...x0];
    x[i] = x[i]! + steps[i]!;
    simplex.push(await evaluate(x));
  }
  while (evaluations < maxEvaluations) {
    simplex.sort((a, b) => a.value - b.value);
    const lo = simplex[0]!;
    const hi = simplex[n]!;
    if (hi.value - lo.value < tolerance) break;
    const centroid = new Array<number>(n).fill(0);
    for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) centroid[i] = centroid[i]! + simplex[k]!.x[i]! / n;
    const reflected = await evaluate(along(centroid, hi.x, -1));
    if (reflected.value < lo.value) {
      if (evaluations >= maxEvaluations) {
        simplex[n] = reflected;
        break;
      }
      const expanded = await evaluate(along(centroid, hi.x, -2));
      simplex[n] = expanded.value < reflected.value ? expanded : reflected;
    } else if (reflected.value < simplex[n - 1]!.value) {
      simplex[n] = reflected;
    } else {
      if (evaluations >= maxEvaluations) break;
      const outside = reflected.value < hi.value;
      const contracted = await evaluate(along(centroid, outside ? reflected.x : hi.x, 0.5));
      if (contracted.value < (outside ? reflected.value : hi.value)) {
        simplex[n] = contracted;
      } else {
        for (let k = 1; k <= n && evaluations < maxEvaluations; k++) simplex[k] = await evaluate(along(lo.x, simplex[k]!.x, 0.5));
      }
    }
  }
  return best;
}
