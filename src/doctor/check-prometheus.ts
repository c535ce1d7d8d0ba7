import { checkExpression } from './check-promql.js';
import type { Finding } from './findings.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function regexMatches(pattern: unknown, value: string): boolean {
  if (typeof pattern !== 'string') return false;
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false;
  }
}

/** A Prometheus rules file (`groups:`). */
export function checkRulesFile(doc: unknown, file: string): Finding[] {
  const out: Finding[] = [];
  if (!isObj(doc) || !Array.isArray(doc.groups)) return out;
  for (const g of doc.groups) {
    if (!isObj(g) || !Array.isArray(g.rules)) continue;
    for (const r of g.rules) {
      if (!isObj(r) || typeof r.expr !== 'string') continue;
      const name = typeof r.record === 'string' ? r.record : typeof r.alert === 'string' ? r.alert : '?';
      out.push(...checkExpression(r.expr, file, `group ${String(g.name)}, rule ${name}`, null));
    }
  }
  return out;
}

/** A prometheus.yml: relabelling that drops session_id. Rule files it names are checked by the caller. */
export function checkPrometheusConfig(doc: unknown, file: string): Finding[] {
  const out: Finding[] = [];
  if (!isObj(doc)) return out;
  for (const job of Array.isArray(doc.scrape_configs) ? doc.scrape_configs : []) {
    if (!isObj(job)) continue;
    for (const key of ['metric_relabel_configs', 'relabel_configs']) {
      for (const rc of Array.isArray(job[key]) ? job[key] : []) {
        if (!isObj(rc)) continue;
        const dropped = (rc.action === 'labeldrop' && regexMatches(rc.regex, 'session_id')) || (rc.action === 'labelkeep' && !regexMatches(rc.regex, 'session_id'));
        if (dropped) {
          out.push({
            id: 'session-id-dropped',
            severity: 'error',
            file,
            where: `scrape job ${String(job.job_name)}, ${key}`,
            message: `${String(rc.action)} removes the session_id label: sessions collapse onto one non-accumulating series`,
            fix: 'keep session_id (drop other labels if cardinality is the worry)',
          });
        }
      }
    }
  }
  return out;
}

export function ruleFilesOf(doc: unknown): string[] {
  if (!isObj(doc) || !Array.isArray(doc.rule_files)) return [];
  return doc.rule_files.filter((x): x is string => typeof x === 'string');
}
