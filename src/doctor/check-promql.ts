import type { Finding } from './findings.js';

const SESSION_METRIC = /claude_code_session_count(?:_total)?\b/;
const COUNTER_FN_OVER_SESSIONS = /\b(increase|rate|irate|delta|idelta)\s*\(\s*claude_code_session_count(?:_total)?\b/;
const COST_METRIC = /claude_code_cost_usage/;

/** Traps in one PromQL expression; `title` is the panel's title and description when the query is a panel's. */
export function checkExpression(expr: string, file: string, where: string, panelText: string | null): Finding[] {
  const out: Finding[] = [];
  const fn = COUNTER_FN_OVER_SESSIONS.exec(expr);
  if (fn) {
    out.push({
      id: 'session-counter-increase',
      severity: 'error',
      file,
      where,
      message: `${fn[1] ?? 'increase'}() over the session counter always reads 0: each session reports a constant 1 on its own series`,
      fix: 'count distinct session ids that appeared in the range, e.g. the Sessions panel of tracekit collector --grafana (count by (session_id) … unless … offset)',
    });
  } else if (SESSION_METRIC.test(expr) && /session_id/.test(expr) && !/\bunless\b/.test(expr)) {
    out.push({
      id: 'sessions-as-series-present',
      severity: 'warning',
      file,
      where,
      message: 'counts session series present in the range: a finished session stays exposed for the series expiry (7 days), so old sessions are counted again',
      fix: 'count only session ids with no series before the range: … unless count by (session_id) (last_over_time(m[1h] offset $__range))',
    });
  }
  if (panelText !== null && COST_METRIC.test(expr) && !/notional/i.test(panelText)) {
    out.push({
      id: 'cost-not-notional',
      severity: 'warning',
      file,
      where,
      message: 'cost is shown without saying it is notional: the agent computes it from API list prices, it is an estimate, not a bill',
      fix: 'title or describe the panel as "Notional cost (estimate at API list prices)"',
    });
  }
  return out;
}
