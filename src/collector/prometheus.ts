import { formatHostPort } from './net.js';
import { PORTS, type SeamOptions } from './options.js';
import { alertRules, JOBS, recordingRules } from './queries.js';

export const RULE_FILES = { recording: 'tracekit-recording.rules.yml', alerts: 'tracekit-alerts.rules.yml' } as const;
export const SIDECAR_TARGETS_FILE = 'tracekit-sidecars.yml';

/**
 * The scrape jobs, as a file with a top-level `scrape_configs` list: include
 * it with `scrape_config_files` (Prometheus 2.43+) or paste the list into
 * prometheus.yml.
 */
export function buildScrapeConfig(o: SeamOptions): { scrape_configs: unknown[] } {
  return {
    scrape_configs: [
      { job_name: JOBS.collector, scrape_interval: '30s', static_configs: [{ targets: [formatHostPort('127.0.0.1', PORTS.telemetry)] }] },
      {
        job_name: JOBS.exporter,
        scrape_interval: '30s',
        // The exporter already sets job/instance from each sender's service
        // name and instance id; keep those rather than overwrite them.
        honor_labels: true,
        static_configs: [{ targets: [formatHostPort('127.0.0.1', PORTS.exporter)] }],
      },
      {
        job_name: JOBS.sidecar,
        scrape_interval: '30s',
        file_sd_configs: [{ files: [`${o.configDir}/prometheus/${SIDECAR_TARGETS_FILE}`] }],
      },
    ],
  };
}

/** The sidecar targets file: one entry per PHP host, filled in by the operator. */
export function buildSidecarTargets(): unknown[] {
  return [];
}

export function buildRecordingRules(): { groups: unknown[] } {
  return { groups: [{ name: 'tracekit-recording', interval: '1m', rules: recordingRules() }] };
}

export function buildAlertRules(): { groups: unknown[] } {
  return { groups: [{ name: 'tracekit-alerts', interval: '1m', rules: alertRules() }] };
}
