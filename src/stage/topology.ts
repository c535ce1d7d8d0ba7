/**
 * Names, addresses, ports and image versions of the staging stack, in one
 * place: the compose file, the collector/Prometheus configs and the tests
 * all read them from here.
 */

/** The stack's own bridge network; the collector and the sidecar get fixed addresses on it. */
export const NETWORK = { name: 'tracekit', subnet: '172.28.0.0/24' } as const;
export const ADDRESSES = { collector: '172.28.0.10', sidecar: '172.28.0.20' } as const;
export const SIDECAR_PORT = 4318;

/** Host ports, bound to 127.0.0.1 only. */
export const PUBLISHED = { app: 8080, grafana: 3000, prometheus: 9090, tempo: 3200 } as const;

/** Paths inside the containers. */
export const PATHS = {
  configDir: '/etc/tracekit',
  appRoot: '/var/www/app',
  phpInstallDir: '/opt/tracekit/php',
  socketDir: '/run/tracekit',
  socket: '/run/tracekit/otlp.sock',
  spoolDir: '/var/spool/tracekit',
} as const;

export const PHP_VERSIONS = ['7.4', '8.2', '8.3'] as const;
export type PhpVersion = (typeof PHP_VERSIONS)[number];

/**
 * Pinned images. Versions are released tags chosen by hand (no `latest`);
 * no Docker engine runs where tracekit is tested, so they are not pulled
 * here — see the stack's README.
 */
export const IMAGES = {
  php: { '7.4': 'php:7.4.33-fpm-bullseye', '8.2': 'php:8.2.28-fpm-bookworm', '8.3': 'php:8.3.20-fpm-bookworm' } satisfies Record<PhpVersion, string>,
  node: 'node:20.19.0-bookworm-slim',
  nginx: 'nginx:1.26.3',
  mariadb: 'mariadb:10.11.11',
  otelcol: 'otel/opentelemetry-collector-contrib:0.120.0',
  tempo: 'grafana/tempo:2.6.1',
  prometheus: 'prom/prometheus:v2.53.4',
  grafana: 'grafana/grafana:11.5.2',
} as const;

/** The PECL release of the opentelemetry extension installed with --with-extension. */
export const PECL_OPENTELEMETRY = 'opentelemetry-1.1.0';

/** The database the example is seeded into, and its application user. */
export const DATABASE = { name: 'shop', user: 'shop', password: 'shop-staging' } as const;

/** Debian's php official images run php-fpm workers as www-data (uid/gid 33); the sidecar runs as node (uid 1000) in that group. */
export const WWW_DATA_GID = 33;
export const NODE_UID = 1000;
