import { generatedHeader } from '../generated-header.js';
import { TOKEN_CREDENTIAL } from './otelcol-config.js';
import type { SeamOptions } from './options.js';
import { TEMPO_DATA_DIR } from './tempo.js';

export const TEMPO_UNIT = 'tracekit-tempo.service';

function unit(command: string, sections: Array<[string, Array<[string, string]>]>): string {
  const out = [generatedHeader(command, 'hash').trimEnd()];
  for (const [name, entries] of sections) {
    out.push('', `[${name}]`, ...entries.map(([k, v]) => `${k}=${v}`));
  }
  return `${out.join('\n')}\n`;
}

const HARDENING: Array<[string, string]> = [
  ['DynamicUser', 'yes'],
  ['NoNewPrivileges', 'yes'],
  ['ProtectSystem', 'strict'],
  ['ProtectHome', 'yes'],
  ['PrivateTmp', 'yes'],
  ['PrivateDevices', 'yes'],
  ['ProtectKernelTunables', 'yes'],
  ['ProtectKernelModules', 'yes'],
  ['ProtectControlGroups', 'yes'],
  ['RestrictAddressFamilies', 'AF_INET AF_INET6 AF_UNIX'],
  ['RestrictNamespaces', 'yes'],
  ['LockPersonality', 'yes'],
  ['Restart', 'on-failure'],
  ['RestartSec', '5s'],
];

export function buildOtelcolUnit(o: SeamOptions): string {
  const service: Array<[string, string]> = [['ExecStart', `${o.otelcolBinary} --config=${o.configDir}/otelcol/config.yaml`]];
  // systemd copies the token into a directory only this unit can read.
  if (o.tokenFile !== null) service.push(['LoadCredential', `${TOKEN_CREDENTIAL}:${o.tokenFile}`]);
  service.push(['MemoryMax', '1536M'], ...HARDENING);
  return unit(o.command, [
    ['Unit', [['Description', 'OpenTelemetry Collector: the tracekit seam (OTLP in, Prometheus and Tempo out)'], ['Documentation', 'https://opentelemetry.io/docs/collector/'], ['Wants', 'network-online.target'], ['After', 'network-online.target']]],
    ['Service', service],
    ['Install', [['WantedBy', 'multi-user.target']]],
  ]);
}

export function buildTempoUnit(o: SeamOptions): string {
  return unit(o.command, [
    ['Unit', [['Description', 'Grafana Tempo (monolithic, local storage) for the tracekit seam'], ['Documentation', 'https://grafana.com/docs/tempo/latest/'], ['After', 'network.target']]],
    [
      'Service',
      [
        ['ExecStart', `${o.tempoBinary} -config.file=${o.configDir}/tempo/tempo.yaml`],
        ['StateDirectory', TEMPO_DATA_DIR.replace(/^\/var\/lib\//, '')],
        ...HARDENING,
      ],
    ],
    ['Install', [['WantedBy', 'multi-user.target']]],
  ]);
}
