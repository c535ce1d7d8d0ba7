const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/**
 * Parses a Go duration (`168h`, `1h30m`, `500ms`) into milliseconds; with
 * `prometheus` also the d/w/y units Prometheus accepts. Returns null when
 * the text is not a duration.
 */
export function parseDurationMillis(text: string, flavour: 'go' | 'prometheus' = 'go'): number | null {
  const units = flavour === 'go' ? 'ns|us|µs|ms|s|m|h' : 'ms|s|m|h|d|w|y';
  const whole = new RegExp(`^(?:\\d+(?:\\.\\d+)?(?:${units}))+$`);
  if (!whole.test(text)) return text === '0' ? 0 : null;
  let total = 0;
  for (const m of text.matchAll(new RegExp(`(\\d+(?:\\.\\d+)?)(${units})`, 'g'))) total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
  return total;
}
