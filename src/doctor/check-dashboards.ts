import { checkExpression } from './check-promql.js';
import type { Finding } from './findings.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every panel of a Grafana dashboard JSON, including those nested in rows. */
export function panelsOf(dashboard: unknown): Obj[] {
  const root = isObj(dashboard) && isObj(dashboard.dashboard) ? dashboard.dashboard : dashboard;
  const out: Obj[] = [];
  const walk = (panels: unknown): void => {
    if (!Array.isArray(panels)) return;
    for (const p of panels) {
      if (!isObj(p)) continue;
      out.push(p);
      walk(p.panels);
    }
  };
  if (isObj(root)) walk(root.panels);
  return out;
}

export function checkDashboard(doc: unknown, file: string): Finding[] {
  const out: Finding[] = [];
  for (const p of panelsOf(doc)) {
    const title = typeof p.title === 'string' ? p.title : '';
    const text = `${title} ${typeof p.description === 'string' ? p.description : ''}`;
    for (const t of Array.isArray(p.targets) ? p.targets : []) {
      if (!isObj(t) || typeof t.expr !== 'string') continue;
      out.push(...checkExpression(t.expr, file, `panel "${title}"`, text));
    }
  }
  return out;
}
