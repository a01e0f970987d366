/**
 * OptionError — a setting that cannot run, carrying the option it blames as data.
 *
 * Every option is checked once, where the object that uses it is built (a sampler, a
 * controller, the plan); the HTTP layer maps `option` to the request field once, so no layer
 * parses another's message. It is a RangeError, so code that only cares that input was out of
 * its domain can keep catching that.
 */
export class OptionError extends RangeError {
  override readonly name = "OptionError";
  /**
   * @param option the engine's name of the option (camelCase, e.g. "tMin"), or a request-level
   *   name the plan owns ("mode", "rows")
   */
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `value` if it is a finite number in [min, max]; otherwise an OptionError naming `option`.
 * `label` is how the message names the option (its wire spelling, e.g. "t_min").
 */
export function checkFiniteIn(option: string, label: string, value: number, min: number, max: number, unit = ""): number {
  if (!(Number.isFinite(value) && value >= min && value <= max)) {
    throw new OptionError(option, `${label} must be finite and in [${min}, ${max}]${unit}, got ${value}`);
  }
  return value;
}
