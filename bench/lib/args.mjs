// Command-line flags of the bench scripts: `--name value` pairs after the script.

/**
 * Reads flags from args (process.argv.slice(2) by default). flag(name, fallback) is
 * the value after `--name` as given, or fallback; positive(name, fallback) is that
 * value as a whole number ≥ 1, or an error naming the flag and what was found.
 */
export function flagReader(args = process.argv.slice(2)) {
  const flag = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i === -1 ? fallback : args[i + 1];
  };
  const positive = (name, fallback) => {
    const given = flag(name, fallback);
    const value = Number(given);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} expects a positive whole number, found ${given}`);
    return value;
  };
  return { flag, positive };
}
