import { ipFamily, isPrivateAddress, isUnspecifiedAddress, splitHostPort } from '../collector/net.js';
import { parseDurationMillis } from './duration.js';
import type { Finding } from './findings.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function section(config: Obj, name: string): Obj {
  const v = config[name];
  return isObj(v) ? v : {};
}

/** `prometheus/foo` → `prometheus`. */
function typeOf(componentId: string): string {
  const slash = componentId.indexOf('/');
  return slash === -1 ? componentId : componentId.slice(0, slash);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

const DAY_MS = 86_400_000;
const SESSION_ATTR = 'session.id';

/** Does this processor's config remove or rewrite the session.id attribute? */
function dropsSessionId(type: string, cfg: Obj): string | null {
  if (type === 'attributes' || type === 'resource') {
    for (const action of Array.isArray(cfg.actions) ? cfg.actions : []) {
      if (!isObj(action)) continue;
      const key = typeof action.key === 'string' ? action.key : '';
      const pattern = typeof action.pattern === 'string' ? action.pattern : '';
      const hits = key === SESSION_ATTR || (pattern !== '' && safeRegex(pattern)?.test(SESSION_ATTR) === true);
      if (hits && ['delete', 'hash', 'update', 'upsert'].includes(String(action.action))) return `${String(action.action)} of ${SESSION_ATTR}`;
    }
  }
  if (type === 'transform') {
    const text = JSON.stringify(cfg);
    if (/delete_key\([^)]*session\.id/.test(text)) return `delete_key(…, "${SESSION_ATTR}")`;
    if (/delete_matching_keys\([^)]*session/.test(text)) return 'delete_matching_keys over session attributes';
    for (const m of text.matchAll(/keep_keys\(\s*attributes\s*,\s*\[([^\]]*)\]/g)) {
      if (!(m[1] ?? '').includes(SESSION_ATTR)) return `keep_keys(attributes, [${m[1] ?? ''}]) without ${SESSION_ATTR}`;
    }
  }
  if (type === 'metricstransform') {
    for (const t of Array.isArray(cfg.transforms) ? cfg.transforms : []) {
      if (!isObj(t)) continue;
      for (const op of Array.isArray(t.operations) ? t.operations : []) {
        if (isObj(op) && op.action === 'aggregate_labels' && !strings(op.label_set).includes(SESSION_ATTR)) return `aggregate_labels without ${SESSION_ATTR}`;
      }
    }
  }
  return null;
}

function safeRegex(pattern: string): RegExp | null {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    return null;
  }
}

/**
 * Checks an OpenTelemetry Collector config (already parsed) for the seam's
 * traps. Used by `tracekit doctor` on existing configs and by the seam's own
 * schema, which accepts no finding at warning or above.
 */
export function checkCollectorConfig(config: unknown, file: string): Finding[] {
  const out: Finding[] = [];
  if (!isObj(config)) {
    return [{ id: 'unreadable-config', severity: 'error', file, message: 'expected a YAML mapping with receivers, exporters and service, found something else', fix: 'point --collector at the collector config file' }];
  }
  const receivers = section(config, 'receivers');
  const processors = section(config, 'processors');
  const exporters = section(config, 'exporters');
  const connectors = section(config, 'connectors');
  const extensions = section(config, 'extensions');
  const service = section(config, 'service');
  const pipelines = section(service, 'pipelines');

  // -- series expiry and resource labels on every prometheus exporter
  for (const [id, raw] of Object.entries(exporters)) {
    if (typeOf(id) !== 'prometheus') continue;
    const cfg = isObj(raw) ? raw : {};
    const expiration = typeof cfg.metric_expiration === 'string' ? cfg.metric_expiration : '5m';
    const ms = parseDurationMillis(expiration);
    if (ms === null || ms < DAY_MS) {
      out.push({
        id: 'series-expiry-short',
        severity: 'error',
        file,
        where: `exporters.${id}.metric_expiration`,
        message: `series expire ${cfg.metric_expiration === undefined ? 'after the default 5m' : `after ${expiration}`}: an agent idle for longer vanishes from Prometheus, and a finished session cannot be told from a new one`,
        fix: `set exporters.${id}.metric_expiration: 168h`,
      });
    }
    const rttc = isObj(cfg.resource_to_telemetry_conversion) ? cfg.resource_to_telemetry_conversion : {};
    if (rttc.enabled !== true) {
      out.push({
        id: 'resource-labels-dropped',
        severity: 'warning',
        file,
        where: `exporters.${id}.resource_to_telemetry_conversion`,
        message: 'resource attributes (host.name, service.name) are not turned into labels: usage cannot be broken down by host',
        fix: `set exporters.${id}.resource_to_telemetry_conversion.enabled: true`,
      });
    }
  }

  // -- pipelines: logs, order of processors, delta into prometheus, undefined components
  const defined = (kind: Obj, id: string): boolean => Object.prototype.hasOwnProperty.call(kind, id);
  for (const [name, raw] of Object.entries(pipelines)) {
    const p = isObj(raw) ? raw : {};
    const signal = typeOf(name);
    if (signal === 'logs') {
      out.push({
        id: 'logs-exported',
        severity: 'error',
        file,
        where: `service.pipelines.${name}`,
        message: "a logs pipeline is configured: the coding agents' logs carry prompt and tool content",
        fix: `remove service.pipelines.${name} (without a logs pipeline the OTLP receiver does not even serve /v1/logs)`,
      });
    }
    const procs = strings(p.processors);
    if (procs.length > 0 && procs.some((x) => typeOf(x) === 'memory_limiter') && typeOf(procs[0] ?? '') !== 'memory_limiter') {
      out.push({
        id: 'memory-limiter-not-first',
        severity: 'warning',
        file,
        where: `service.pipelines.${name}.processors`,
        message: `memory_limiter is not the first processor (${procs.join(', ')}): data is buffered before the limiter can refuse it`,
        fix: 'put memory_limiter first, batch after it',
      });
    }
    const exps = strings(p.exporters);
    if (signal === 'metrics' && exps.some((x) => typeOf(x) === 'prometheus') && !procs.some((x) => typeOf(x) === 'deltatocumulative')) {
      out.push({
        id: 'delta-temporality',
        severity: 'info',
        file,
        where: `service.pipelines.${name}`,
        message: 'the prometheus exporter receives metrics as sent; delta points (Claude Code\'s default temporality) are mishandled and read as counter resets',
        fix: 'make every sender use cumulative temporality (tracekit agent settings sets OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative), or add a deltatocumulative processor',
      });
    }
    const refs: Array<[string, Obj, string[]]> = [
      ['receivers', { ...receivers, ...connectors }, strings(p.receivers)],
      ['processors', processors, procs],
      ['exporters', { ...exporters, ...connectors }, exps],
    ];
    for (const [kind, pool, ids] of refs) {
      for (const id of ids) {
        if (!defined(pool, id)) {
          out.push({ id: 'pipeline-undefined-component', severity: 'error', file, where: `service.pipelines.${name}.${kind}`, message: `'${id}' is used but not defined`, fix: `define ${kind}.${id} or remove it from the pipeline` });
        }
      }
    }
    for (const procId of procs) {
      const cfg = processors[procId];
      const how = dropsSessionId(typeOf(procId), isObj(cfg) ? cfg : {});
      if (how !== null && signal === 'metrics') {
        out.push({
          id: 'session-id-dropped',
          severity: 'error',
          file,
          where: `processors.${procId}`,
          message: `${how}: sessions collapse onto one series whose constant 1 never accumulates, so they cannot be counted`,
          fix: `keep the ${SESSION_ATTR} attribute on metrics (remove that action from processors.${procId})`,
        });
      }
    }
  }
  for (const id of strings(service.extensions)) {
    if (!defined(extensions, id)) out.push({ id: 'pipeline-undefined-component', severity: 'error', file, where: 'service.extensions', message: `extension '${id}' is enabled but not defined`, fix: `define extensions.${id}` });
  }

  // -- OTLP receivers bound to every interface or a public address
  for (const [id, raw] of Object.entries(receivers)) {
    if (typeOf(id) !== 'otlp' || !isObj(raw)) continue;
    const protocols = isObj(raw.protocols) ? raw.protocols : {};
    for (const [proto, pcfgRaw] of Object.entries(protocols)) {
      const pcfg = isObj(pcfgRaw) ? pcfgRaw : {};
      if (typeof pcfg.endpoint !== 'string') continue; // default: localhost
      const { host } = splitHostPort(pcfg.endpoint);
      const auth = isObj(pcfg.auth) && typeof pcfg.auth.authenticator === 'string';
      if (auth) {
        const a = (pcfg.auth as Obj).authenticator as string;
        if (!defined(extensions, a) || !strings(service.extensions).includes(a)) {
          out.push({ id: 'pipeline-undefined-component', severity: 'error', file, where: `receivers.${id}.protocols.${proto}.auth`, message: `authenticator '${a}' is not defined and enabled`, fix: `define extensions.${a} and list it in service.extensions` });
        }
      }
      const where = `receivers.${id}.protocols.${proto}.endpoint`;
      const all = isUnspecifiedAddress(host);
      const isPublic = !all && ipFamily(host) !== null && !isPrivateAddress(host);
      if ((all || isPublic) && !auth) {
        out.push({
          id: 'otlp-public-unauthenticated',
          severity: 'error',
          file,
          where,
          message: `OTLP ${proto} is bound to ${all ? 'every interface' : `the public address ${host}`} (${pcfg.endpoint}) without authentication: anyone who can reach it can write metrics and traces`,
          fix: 'bind the private address (tracekit collector --listen 10.x.x.x) and add a bearertokenauth authenticator',
        });
      } else if (all) {
        out.push({
          id: 'otlp-all-interfaces',
          severity: 'warning',
          file,
          where,
          message: `OTLP ${proto} is bound to every interface (${pcfg.endpoint}); authentication is on, but the port is open on public interfaces too`,
          fix: 'bind the private address only and restrict the port to the fleet\'s CIDRs in the firewall',
        });
      }
    }
  }
  return out;
}
