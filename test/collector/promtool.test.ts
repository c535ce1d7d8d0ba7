import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parse as parseYaml } from 'yaml';
import { alertRules, RECORDED, SPIKE } from '../../src/collector/queries.js';
import { panelsOf } from '../../src/doctor/check-dashboards.js';
import { requireTool } from '../helpers/require-tool.js';
import { writeTempSeam, writeText, type WrittenSeam } from './seam-fixture.js';

const promtool = requireTool('promtool');

function run(args: string[]): { code: number; output: string } {
  const r = spawnSync(promtool as string, args, { encoding: 'utf8' });
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** The expression of a generated dashboard panel, by title: the tests evaluate exactly what Grafana will run. */
function panelExpr(seam: WrittenSeam, dashboardFile: string, title: string): string {
  const dashboard: unknown = JSON.parse(seam.read(`grafana/dashboards/${dashboardFile}`));
  const panel = panelsOf(dashboard).find((p) => p.title === title);
  if (panel === undefined) throw new Error(`no panel "${title}" in ${dashboardFile}`);
  const targets = panel.targets as Array<{ expr: string }>;
  return targets[0]!.expr;
}

/** What Grafana does before sending the query: substitute its range/interval variables. */
function asGrafanaWould(expr: string, vars: { range?: string; interval?: string }): string {
  let out = expr;
  if (vars.range !== undefined) out = out.replaceAll('$__range', vars.range);
  if (vars.interval !== undefined) out = out.replaceAll('$__interval', vars.interval);
  expect(out, 'every Grafana variable substituted').not.toMatch(/\$__/);
  return out;
}

const AGENT = 'tracekit-agent-usage.json';

/** An alert as promtool reports it: labels plus the rule's annotations rendered for them. */
function firing(alertname: string, labels: Record<string, string>, value = ''): { exp_labels: Record<string, string>; exp_annotations: Record<string, string> } {
  const rule = alertRules().find((r) => r.alert === alertname);
  if (rule === undefined) throw new Error(`no alert ${alertname}`);
  const render = (t: string): string => t.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, k: string) => labels[k] ?? '').replace(/\{\{ \$value \| humanize \}\}/g, value);
  return {
    exp_labels: { ...rule.labels, ...labels },
    exp_annotations: { summary: render(rule.annotations.summary), description: render(rule.annotations.description) },
  };
}
const RULES = ['prometheus/rules/tracekit-recording.rules.yml', 'prometheus/rules/tracekit-alerts.rules.yml'];

describe.skipIf(promtool === null)('generated Prometheus files under real promtool', () => {
  let seam: WrittenSeam;
  beforeAll(async () => {
    seam = await writeTempSeam();
  });
  afterAll(() => seam?.cleanup());

  it('passes promtool check config on a prometheus.yml that includes the scrape jobs and rule files', () => {
    const scrape = parseYaml(seam.read('prometheus/tracekit-scrape.yml')) as { scrape_configs: Array<Record<string, unknown>> };
    // The sidecar targets file is named by its install path; point it at the generated copy.
    const jobs = scrape.scrape_configs.map((job) => {
      const sd = job.file_sd_configs as Array<{ files: string[] }> | undefined;
      return sd === undefined ? job : { ...job, file_sd_configs: sd.map((s) => ({ files: s.files.map((f) => path.join(seam.dir, 'prometheus', path.basename(f))) })) };
    });
    const config = { global: { scrape_interval: '30s' }, rule_files: RULES.map((r) => path.join(seam.dir, r)), scrape_configs: jobs };
    const file = writeText(path.join(seam.dir, 'prometheus.yml'), stringify(config));
    const r = run(['check', 'config', file]);
    expect(r.output).toContain('SUCCESS: 2 rule files found');
    expect(r.code, r.output).toBe(0);
  });

  it('passes promtool check rules', () => {
    const r = run(['check', 'rules', ...RULES.map((x) => path.join(seam.dir, x))]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('fails promtool test rules when an expectation is wrong (the harness can fail)', () => {
    const testFile = {
      rule_files: RULES.map((r) => path.join(seam.dir, r)),
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [{ series: 'claude_code_session_count_total{session_id="a"}', values: '1x10' }],
          promql_expr_test: [{ expr: asGrafanaWould(panelExpr(seam, AGENT, 'Sessions started in range'), { range: '5m' }), eval_time: '5m', exp_samples: [{ labels: '{}', value: 7 }] }],
        },
      ],
    };
    const r = run(['test', 'rules', writeText(path.join(seam.dir, 'wrong.test.yml'), stringify(testFile))]);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/FAILED/);
  });

  /*
   * Synthetic agent series, 1-minute scrapes over 5 hours; the dashboard
   * range is the last 2h at 5h, i.e. the window (3h, 5h]. A session is one
   * series of constant 1 from its first export until the collector expires
   * it (kept while this test runs unless the values end early).
   */
  const sessions = [
    { id: 's-old-running', host: 'h1', start: 30, end: 300 }, // started long before the window, still exposed
    { id: 's-just-before', host: 'h1', start: 170, end: 300 }, // started 10 min before the window
    { id: 's-in-1', host: 'h1', start: 190, end: 300 },
    { id: 's-in-2', host: 'h1', start: 240, end: 260 }, // started and finished inside; expiry keeps it exposed, here it ends early
    { id: 's-in-3', host: 'h2', start: 299, end: 300 },
    { id: 's-in-4', host: 'h2', start: 210, end: 300 },
    { id: 's-gone', host: 'h2', start: 0, end: 60 }, // expired long before the window
    { id: 's-expires-inside', host: 'h2', start: 20, end: 200 }, // present at the window's start, expires inside it
  ];
  const startedInWindow = sessions.filter((s) => s.start > 180 && s.start <= 300);
  const seriesOf = (s: { id: string; host: string; start: number; end: number }): string => `${s.start > 0 ? `_x${s.start} ` : ''}1x${s.end - s.start}`;

  it('counts exactly the sessions started in the range, where increase() reads 0 and "series present" over-counts', () => {
    const sessionsExpr = asGrafanaWould(panelExpr(seam, AGENT, 'Sessions started in range'), { range: '2h' });
    const byHostExpr = asGrafanaWould(panelExpr(seam, AGENT, 'Sessions started by host'), { range: '2h' });
    const overTimeExpr = asGrafanaWould(panelExpr(seam, AGENT, 'Sessions started'), { interval: '1h' });
    const present = sessions.filter((s) => s.end > 180 && s.start <= 300).length;
    expect(startedInWindow.length).toBe(4);
    expect(present).toBeGreaterThan(startedInWindow.length);
    const testFile = {
      rule_files: RULES.map((r) => path.join(seam.dir, r)),
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: sessions.map((s) => ({
            series: `claude_code_session_count_total{session_id="${s.id}", host_name="${s.host}", user_email="${s.host}@example.test"}`,
            values: seriesOf(s),
          })),
          promql_expr_test: [
            { expr: sessionsExpr, eval_time: '5h', exp_samples: [{ labels: '{}', value: startedInWindow.length }] },
            {
              expr: byHostExpr,
              eval_time: '5h',
              exp_samples: ['h1', 'h2'].map((h) => ({ labels: `{host_name="${h}"}`, value: startedInWindow.filter((s) => s.host === h).length })),
            },
            // The time-series panel: sessions started in (3h, 4h] at 4h.
            { expr: overTimeExpr, eval_time: '4h', exp_samples: [{ labels: '{}', value: sessions.filter((s) => s.start > 180 && s.start <= 240).length }] },
            // The traps the panel avoids: increase() over a constant 1 is 0 …
            { expr: 'sum(increase(claude_code_session_count_total[2h]))', eval_time: '5h', exp_samples: [{ labels: '{}', value: 0 }] },
            // … and "distinct ids present in the range" counts old sessions again.
            { expr: 'count(count by (session_id) (last_over_time(claude_code_session_count_total[2h])))', eval_time: '5h', exp_samples: [{ labels: '{}', value: present }] },
          ],
        },
      ],
    };
    const r = run(['test', 'rules', writeText(path.join(seam.dir, 'sessions.test.yml'), stringify(testFile))]);
    expect(r.output).toContain('SUCCESS');
    expect(r.code, r.output).toBe(0);
  });

  it('gives the exact token and notional-cost totals of the range, counting a new session from 0', () => {
    // Window (3h, 5h]. a: running since 1h, +10/min → 1200 in the window.
    // b: born at 3h30 having already used 500, +5/min for 60 min, then exposed
    //    unchanged → 800 (increase() would miss the first 500).
    // c: finished at 2h, exposed unchanged → 0. d: exposed unchanged, expires inside → 0.
    const tokens = [
      { labels: 'session_id="a", type="input", model="m1", host_name="h1", user_email="p1@example.test"', values: '_x60 100+10x240' },
      { labels: 'session_id="b", type="output", model="m2", host_name="h1", user_email="p2@example.test"', values: '_x210 500+5x60 800x30' },
      { labels: 'session_id="c", type="input", model="m1", host_name="h2", user_email="p1@example.test"', values: '_x30 0+10x90 900x180' },
      { labels: 'session_id="d", type="input", model="m1", host_name="h2", user_email="p2@example.test"', values: '999x200' },
    ];
    const cost = [
      { labels: 'session_id="a", model="m1", host_name="h1", user_email="p1@example.test"', values: '_x60 0.5+0.125x240' },
      { labels: 'session_id="b", model="m2", host_name="h1", user_email="p2@example.test"', values: '_x210 0.25+0.0625x64 4.25x26' },
      { labels: 'session_id="c", model="m1", host_name="h2", user_email="p1@example.test"', values: '_x30 0+1x90 90x180' },
    ];
    const testFile = {
      rule_files: RULES.map((r) => path.join(seam.dir, r)),
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            ...tokens.map((t) => ({ series: `claude_code_token_usage_tokens_total{${t.labels}}`, values: t.values })),
            ...cost.map((t) => ({ series: `claude_code_cost_usage_USD_total{${t.labels}}`, values: t.values })),
          ],
          promql_expr_test: [
            { expr: asGrafanaWould(panelExpr(seam, AGENT, 'Tokens in range'), { range: '2h' }), eval_time: '5h', exp_samples: [{ labels: '{}', value: 2000 }] },
            {
              expr: asGrafanaWould(panelExpr(seam, AGENT, 'Tokens by model'), { range: '2h' }),
              eval_time: '5h',
              exp_samples: [
                { labels: '{model="m1"}', value: 1200 },
                { labels: '{model="m2"}', value: 800 },
              ],
            },
            {
              expr: asGrafanaWould(panelExpr(seam, AGENT, 'Tokens by host'), { range: '2h' }),
              eval_time: '5h',
              exp_samples: [
                { labels: '{host_name="h1"}', value: 2000 },
                { labels: '{host_name="h2"}', value: 0 },
              ],
            },
            // Per interval: (4h, 5h] has 60 min of a (600) and the last 30 min of b (150).
            {
              expr: asGrafanaWould(panelExpr(seam, AGENT, 'Tokens by type'), { interval: '1h' }),
              eval_time: '5h',
              exp_samples: [
                { labels: '{type="input"}', value: 600 },
                { labels: '{type="output"}', value: 150 },
              ],
            },
            { expr: asGrafanaWould(panelExpr(seam, AGENT, 'Notional cost in range (estimate at API list prices)'), { range: '2h' }), eval_time: '5h', exp_samples: [{ labels: '{}', value: 19.25 }] },
            {
              expr: asGrafanaWould(panelExpr(seam, AGENT, 'Notional cost by person (estimate at API list prices)'), { range: '2h' }),
              eval_time: '5h',
              exp_samples: [
                { labels: '{user_email="p1@example.test"}', value: 15 },
                { labels: '{user_email="p2@example.test"}', value: 4.25 },
              ],
            },
          ],
        },
      ],
    };
    const r = run(['test', 'rules', writeText(path.join(seam.dir, 'totals.test.yml'), stringify(testFile))]);
    expect(r.output).toContain('SUCCESS');
    expect(r.code, r.output).toBe(0);
  });

  it('fires every alert on a synthetic spike and stays quiet on the baseline', () => {
    const week = 7 * 24 * 12; // 5-minute steps in 7 days
    const baseTokensPer5m = 20 * 300; // 20 tokens/s, well under the floor and the factor
    const spikeTokensPer5m = 200 * 300;
    const baseCostPer5m = 0.001 * 300;
    const spikeCostPer5m = 0.02 * 300;
    const agentTest = {
      interval: '5m',
      input_series: [
        { series: 'claude_code_token_usage_tokens_total{host_name="h1", session_id="base1", type="input"}', values: `0+${baseTokensPer5m}x${week + 36}` },
        { series: 'claude_code_token_usage_tokens_total{host_name="h2", session_id="base2", type="input"}', values: `0+${baseTokensPer5m}x${week + 36}` },
        { series: 'claude_code_token_usage_tokens_total{host_name="h2", session_id="spike", type="input"}', values: `_x${week} 0+${spikeTokensPer5m}x36` },
        { series: 'claude_code_cost_usage_USD_total{host_name="h1", session_id="base1"}', values: `0+${baseCostPer5m}x${week + 36}` },
        { series: 'claude_code_cost_usage_USD_total{host_name="h2", session_id="base2"}', values: `0+${baseCostPer5m}x${week + 36}` },
        { series: 'claude_code_cost_usage_USD_total{host_name="h2", session_id="spike"}', values: `_x${week} 0+${spikeCostPer5m}x36` },
      ],
      alert_rule_test: [
        { alertname: 'TracekitAgentTokenRateFarAboveBaseline', eval_time: '7d', exp_alerts: [] },
        { alertname: 'TracekitAgentNotionalCostRateFarAboveBaseline', eval_time: '7d', exp_alerts: [] },
        {
          alertname: 'TracekitAgentTokenRateFarAboveBaseline',
          eval_time: '7d2h',
          exp_alerts: [firing('TracekitAgentTokenRateFarAboveBaseline', { host_name: 'h2' }, '220')],
        },
        {
          alertname: 'TracekitAgentNotionalCostRateFarAboveBaseline',
          eval_time: '7d2h',
          exp_alerts: [firing('TracekitAgentNotionalCostRateFarAboveBaseline', { host_name: 'h2' })],
        },
      ],
    };
    expect(spikeTokensPer5m / 300).toBeGreaterThan(SPIKE.factor * (baseTokensPer5m / 300));
    const infraTest = {
      interval: '1m',
      input_series: [
        { series: 'up{job="tracekit-otelcol", instance="127.0.0.1:8888"}', values: '1x30 0x30' },
        { series: 'up{job="tracekit-otelcol-exporter", instance="127.0.0.1:8889"}', values: '1x30 0x30' },
        { series: 'tracekit_sidecar_items_dropped_total{job="tracekit-sidecar", instance="php1:4318", signal="traces", reason="retry_exhausted"}', values: '0x30 0+20x30' },
        { series: 'tracekit_sidecar_items_dropped_total{job="tracekit-sidecar", instance="php2:4318", signal="metrics", reason="retry_exhausted"}', values: '0+20x60' },
      ],
      alert_rule_test: [
        { alertname: 'TracekitCollectorDown', eval_time: '25m', exp_alerts: [] },
        { alertname: 'TracekitCollectorExporterScrapeDown', eval_time: '25m', exp_alerts: [] },
        { alertname: 'TracekitSidecarDroppingSpans', eval_time: '25m', exp_alerts: [] },
        { alertname: 'TracekitCollectorDown', eval_time: '45m', exp_alerts: [firing('TracekitCollectorDown', { job: 'tracekit-otelcol', instance: '127.0.0.1:8888' })] },
        { alertname: 'TracekitCollectorExporterScrapeDown', eval_time: '45m', exp_alerts: [firing('TracekitCollectorExporterScrapeDown', { job: 'tracekit-otelcol-exporter', instance: '127.0.0.1:8889' })] },
        { alertname: 'TracekitSidecarDroppingSpans', eval_time: '45m', exp_alerts: [firing('TracekitSidecarDroppingSpans', { instance: 'php1:4318' })] },
      ],
    };
    const absentTest = {
      interval: '1m',
      input_series: [{ series: 'up{job="other", instance="x"}', values: '1x20' }],
      alert_rule_test: [{ alertname: 'TracekitCollectorDown', eval_time: '10m', exp_alerts: [firing('TracekitCollectorDown', { job: 'tracekit-otelcol' })] }],
    };
    const agentFile = { rule_files: RULES.map((r) => path.join(seam.dir, r)), evaluation_interval: '5m', tests: [agentTest] };
    const infraFile = { rule_files: RULES.map((r) => path.join(seam.dir, r)), evaluation_interval: '1m', tests: [infraTest, absentTest] };
    const r1 = run(['test', 'rules', writeText(path.join(seam.dir, 'alerts-agent.test.yml'), stringify(agentFile))]);
    expect(r1.code, r1.output).toBe(0);
    const r2 = run(['test', 'rules', writeText(path.join(seam.dir, 'alerts-infra.test.yml'), stringify(infraFile))]);
    expect(r2.code, r2.output).toBe(0);
    expect(RECORDED.hostTokenRate7d).toContain('avg7d');
  });

  it('records per-route pageviews, error ratio and latency from span metrics', () => {
    const server = 'span_kind="SPAN_KIND_SERVER", service_name="shop", http_route="/cart"';
    const testFile = {
      rule_files: RULES.map((r) => path.join(seam.dir, r)),
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: `traces_span_metrics_calls_total{${server}, status_code="STATUS_CODE_UNSET"}`, values: '0+540x20' },
            { series: `traces_span_metrics_calls_total{${server}, status_code="STATUS_CODE_ERROR"}`, values: '0+60x20' },
            // every request lands at or under 50ms, none under 25ms
            { series: `traces_span_metrics_duration_milliseconds_bucket{${server}, status_code="STATUS_CODE_UNSET", le="25"}`, values: '0x20' },
            { series: `traces_span_metrics_duration_milliseconds_bucket{${server}, status_code="STATUS_CODE_UNSET", le="50"}`, values: '0+600x20' },
            { series: `traces_span_metrics_duration_milliseconds_bucket{${server}, status_code="STATUS_CODE_UNSET", le="+Inf"}`, values: '0+600x20' },
          ],
          promql_expr_test: [
            { expr: RECORDED.routeRequestRate, eval_time: '15m', exp_samples: [{ labels: `${RECORDED.routeRequestRate}{service_name="shop", http_route="/cart"}`, value: 10 }] },
            { expr: RECORDED.routeErrorRatio, eval_time: '15m', exp_samples: [{ labels: `${RECORDED.routeErrorRatio}{service_name="shop", http_route="/cart"}`, value: 0.1 }] },
            { expr: RECORDED.routeLatencyP50, eval_time: '15m', exp_samples: [{ labels: `${RECORDED.routeLatencyP50}{service_name="shop", http_route="/cart"}`, value: 37.5 }] },
          ],
        },
      ],
    };
    const r = run(['test', 'rules', writeText(path.join(seam.dir, 'routes.test.yml'), stringify(testFile))]);
    expect(r.code, r.output).toBe(0);
  });
});
