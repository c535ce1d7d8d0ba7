import path from 'node:path';
import { buildDashboardProvider, buildDashboards, buildDatasources, DASHBOARDS_INSTALL_DIR } from '../collector/grafana.js';
import type { GeneratedFile } from '../collector/generate.js';
import { buildOtelcolConfig } from '../collector/otelcol-config.js';
import { validateOtelcolConfig } from '../collector/otelcol-schema.js';
import { PORTS, resolveSeamOptions, type SeamOptions } from '../collector/options.js';
import { buildAlertRules, buildRecordingRules, buildScrapeConfig, RULE_FILES, SIDECAR_TARGETS_FILE } from '../collector/prometheus.js';
import { buildTempoConfig, TEMPO_DATA_DIR } from '../collector/tempo.js';
import { yamlFile } from '../collector/yaml-file.js';
import { generatedHeader, generatedLine } from '../generated-header.js';
import { runAudit } from '../../analyzers/php/audit.js';
import { DEFAULT_HOOKS_FILE, planHooks, renderHooks } from '../hooks/generate.js';
import { planPhpInit } from '../php/init.js';
import { VERSION } from '../version.js';
import { NGINX_HEALTH_PATH, nginxServerBlock } from './nginx-config.js';
import type { StageOptions } from './options.js';
import { ADDRESSES, DATABASE, IMAGES, NETWORK, NODE_UID, PATHS, PECL_OPENTELEMETRY, PUBLISHED, SIDECAR_PORT, WWW_DATA_GID } from './topology.js';

/** The collector seam as the stack runs it: receivers on the collector's fixed address, files under /etc/tracekit. */
export function stackSeamOptions(command: string): SeamOptions {
  return resolveSeamOptions({ listen: ADDRESSES.collector, allow: [NETWORK.subnet], grafana: true, configDir: PATHS.configDir, command });
}

/** The sidecar's argv in the stack (after the image's `tracekit` entrypoint). */
export function sidecarArgs(): string[] {
  return [
    'sidecar',
    '--socket', PATHS.socket,
    '--socket-mode', '0660',
    // Prometheus (in the collector's network namespace) scrapes /metrics on this listener.
    '--listen', `${ADDRESSES.sidecar}:${SIDECAR_PORT}`,
    '--allow-remote',
    '--upstream', `http://${ADDRESSES.collector}:${PORTS.otlpHttp}`,
    '--spool-dir', PATHS.spoolDir,
  ];
}

/** Prometheus's own config for the stack: the seam's scrape jobs and rules, inlined (Debian's 2.42 has no scrape_config_files). */
export function prometheusConfig(seam: SeamOptions): Record<string, unknown> {
  return {
    global: { scrape_interval: '30s', evaluation_interval: '1m' },
    rule_files: [`${seam.configDir}/prometheus/rules/*.yml`],
    scrape_configs: buildScrapeConfig(seam).scrape_configs,
  };
}

export function sidecarTargets(address: string): unknown[] {
  return [{ targets: [address], labels: { host: 'php-fpm' } }];
}

function phpDockerfile(o: StageOptions): string {
  const lines = [
    generatedHeader(o.command, 'hash').trimEnd(),
    `# php-fpm ${o.php} with mysqli and pdo_mysql${o.withExtension ? ' and the opentelemetry extension (PECL)' : ''}.`,
    `FROM ${IMAGES.php[o.php]}`,
    'RUN docker-php-ext-install mysqli pdo_mysql',
  ];
  if (o.withExtension) lines.push(`RUN pecl install ${PECL_OPENTELEMETRY} && docker-php-ext-enable opentelemetry`);
  lines.push(
    // The socket volume is first created by the sidecar (php-fpm waits for it); the same owner here keeps it usable either way.
    `RUN mkdir -p ${PATHS.socketDir} && chown ${NODE_UID}:${WWW_DATA_GID} ${PATHS.socketDir} && chmod 0750 ${PATHS.socketDir}`,
  );
  return `${lines.join('\n')}\n`;
}

function sidecarDockerfile(o: StageOptions): string {
  return [
    generatedHeader(o.command, 'hash').trimEnd(),
    '# The tracekit sidecar, built from the tracekit source checkout: the compose',
    '# file sets the build context to the repository root (see README.md).',
    `FROM ${IMAGES.node} AS build`,
    'WORKDIR /src',
    'COPY package.json package-lock.json ./',
    'RUN npm install --ignore-scripts --no-audit --no-fund',
    'COPY tsconfig.json tsconfig.build.json ./',
    'COPY src src',
    'COPY analyzers analyzers',
    'RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev',
    '',
    `FROM ${IMAGES.node}`,
    'WORKDIR /opt/tracekit',
    'COPY --from=build /src/package.json ./',
    'COPY --from=build /src/node_modules node_modules',
    'COPY --from=build /src/dist dist',
    'COPY bin bin',
    'COPY php-bootstrap php-bootstrap',
    // Named volumes take the owner of the directory they are mounted on from the image.
    `RUN mkdir -p ${PATHS.socketDir} ${PATHS.spoolDir} && chown ${NODE_UID}:${WWW_DATA_GID} ${PATHS.socketDir} ${PATHS.spoolDir} && chmod 0750 ${PATHS.socketDir} ${PATHS.spoolDir}`,
    `USER ${NODE_UID}:${WWW_DATA_GID}`,
    'ENTRYPOINT ["node", "/opt/tracekit/bin/tracekit.js"]',
    'CMD ["sidecar"]',
    '',
  ].join('\n');
}

function phpAppEnv(o: StageOptions): string {
  return [
    generatedHeader(o.command, 'semicolon').trimEnd(),
    '; The application\'s database settings (examples/legacy-app reads LEGACY_DB_*;',
    '; another app: put its own variables here).',
    '[www]',
    'env[LEGACY_DB_HOST] = "mariadb"',
    'env[LEGACY_DB_PORT] = "3306"',
    `env[LEGACY_DB_USER] = "${DATABASE.user}"`,
    `env[LEGACY_DB_PASSWORD] = "${DATABASE.password}"`,
    `env[LEGACY_DB_NAME] = "${DATABASE.name}"`,
    'env[OTEL_RESOURCE_ATTRIBUTES] = "deployment.environment.name=staging"',
    '',
  ].join('\n');
}

/** Where the app-rewrite service sees the original app (read-only). */
export const APP_SOURCE = '/opt/app-source';

const healthcheck = (test: string[], startPeriod = '10s'): Record<string, unknown> => ({ test, interval: '10s', timeout: '5s', retries: 12, start_period: startPeriod });

/** The compose file as an object; key order is the order written. */
export function composeFile(o: StageOptions): Record<string, unknown> {
  const rel = (target: string): string => {
    const r = path.relative(o.outDir, target).split(path.sep).join('/');
    return r.startsWith('.') ? r : `./${r}`;
  };
  // Without the extension, the hooks' wrappers need rewritten call sites: a
  // one-shot service rewrites a copy of the app into a volume, which nginx
  // and php-fpm serve. The app directory itself is only ever mounted read-only.
  const rewrite = !o.withExtension;
  const app = rewrite ? `app-traced:${PATHS.appRoot}:ro` : `${rel(o.appDir)}:${PATHS.appRoot}:ro`;
  const appReady = rewrite ? { 'app-rewrite': { condition: 'service_completed_successfully' } } : {};
  const sidecarBuild = { context: rel(o.packageRoot), dockerfile: path.relative(o.packageRoot, path.join(o.outDir, 'sidecar', 'Dockerfile')).split(path.sep).join('/') };
  const sidecarImage = `tracekit-sidecar:${VERSION}`;
  const sqlDir = `${rel(path.dirname(o.sqlFiles[0]!))}:/docker-entrypoint-initdb.d:ro`;
  const cfg = PATHS.configDir;
  const monitoring = 'service:otelcol';
  const phpImage = `tracekit-stage-php:${o.php}${o.withExtension ? '-otel' : ''}`;

  return {
    services: {
      nginx: {
        image: IMAGES.nginx,
        ports: [`127.0.0.1:${PUBLISHED.app}:80`],
        volumes: ['./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro', app],
        networks: [NETWORK.name],
        depends_on: { ...appReady, 'php-fpm': { condition: 'service_healthy' } },
        // bash's /dev/tcp instead of an HTTP client: bash is part of every Debian image, curl is not promised.
        healthcheck: healthcheck(['CMD', 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/80 && printf 'GET ${NGINX_HEALTH_PATH} HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '^ok' <&3`]),
      },
      'php-fpm': {
        build: { context: './php' },
        image: phpImage,
        volumes: [
          app,
          `./php/tracekit:${PATHS.phpInstallDir}:ro`,
          // After the image's zz-docker.conf (listen = 9000): adds to the same [www] pool.
          './php/tracekit/tracekit-fpm-pool.conf:/usr/local/etc/php-fpm.d/zz-tracekit.conf:ro',
          './php/app-env.conf:/usr/local/etc/php-fpm.d/zz-tracekit-app.conf:ro',
          `tracekit-socket:${PATHS.socketDir}`,
        ],
        networks: [NETWORK.name],
        depends_on: { ...appReady, mariadb: { condition: 'service_healthy' }, sidecar: { condition: 'service_healthy' } },
        healthcheck: healthcheck(['CMD', 'php', '-r', "exit(@fsockopen('127.0.0.1', 9000) ? 0 : 1);"]),
      },
      ...(rewrite
        ? {
            'app-rewrite': {
              build: sidecarBuild,
              image: sidecarImage,
              // Root: it fills a fresh named volume, which belongs to root.
              user: '0:0',
              network_mode: 'none',
              entrypoint: ['sh', '-c'],
              command: [
                `find ${PATHS.appRoot} -mindepth 1 -delete && cp -a ${APP_SOURCE}/. ${PATHS.appRoot}/ && node /opt/tracekit/bin/tracekit.js php rewrite ${PATHS.appRoot} --write`,
              ],
              volumes: [`${rel(o.appDir)}:${APP_SOURCE}:ro`, `app-traced:${PATHS.appRoot}`],
            },
          }
        : {}),
      mariadb: {
        image: IMAGES.mariadb,
        environment: { MARIADB_DATABASE: DATABASE.name, MARIADB_USER: DATABASE.user, MARIADB_PASSWORD: DATABASE.password, MARIADB_RANDOM_ROOT_PASSWORD: '1' },
        volumes: ['mariadb-data:/var/lib/mysql', sqlDir],
        networks: [NETWORK.name],
        healthcheck: healthcheck(['CMD', 'healthcheck.sh', '--connect', '--innodb_initialized'], '60s'),
      },
      sidecar: {
        build: sidecarBuild,
        image: sidecarImage,
        command: sidecarArgs(),
        volumes: [`tracekit-socket:${PATHS.socketDir}`, `sidecar-spool:${PATHS.spoolDir}`],
        networks: { [NETWORK.name]: { ipv4_address: ADDRESSES.sidecar } },
        depends_on: { otelcol: { condition: 'service_started' } },
        healthcheck: healthcheck([
          'CMD',
          'node',
          '-e',
          `fetch('http://${ADDRESSES.sidecar}:${SIDECAR_PORT}/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ]),
      },
      otelcol: {
        image: IMAGES.otelcol,
        command: [`--config=${cfg}/otelcol/config.yaml`],
        volumes: [`./otelcol/config.yaml:${cfg}/otelcol/config.yaml:ro`],
        networks: { [NETWORK.name]: { ipv4_address: ADDRESSES.collector } },
        // Tempo, Prometheus and Grafana share this network namespace, so the
        // seam's loopback addresses work unchanged; their ports are published here.
        ports: [`127.0.0.1:${PUBLISHED.grafana}:3000`, `127.0.0.1:${PUBLISHED.prometheus}:9090`, `127.0.0.1:${PUBLISHED.tempo}:${PORTS.tempoHttp}`],
        // No healthcheck: the image has no shell or HTTP client; the prometheus
        // service's healthcheck probes the collector's health_check extension.
      },
      tempo: {
        image: IMAGES.tempo,
        network_mode: monitoring,
        // The data volume is mounted where the seam's config keeps it, which the image's tempo user does not own.
        user: '0:0',
        command: [`-config.file=${cfg}/tempo/tempo.yaml`],
        volumes: [`./tempo/tempo.yaml:${cfg}/tempo/tempo.yaml:ro`, `tempo-data:${TEMPO_DATA_DIR}`],
        depends_on: { otelcol: { condition: 'service_started' } },
        healthcheck: healthcheck(['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${PORTS.tempoHttp}/ready`], '30s'),
      },
      prometheus: {
        image: IMAGES.prometheus,
        network_mode: monitoring,
        command: [`--config.file=${cfg}/prometheus/prometheus.yml`, '--storage.tsdb.path=/prometheus', '--enable-feature=exemplar-storage'],
        volumes: [`./prometheus:${cfg}/prometheus:ro`, 'prometheus-data:/prometheus'],
        depends_on: { otelcol: { condition: 'service_started' } },
        healthcheck: healthcheck([
          'CMD-SHELL',
          `wget -q -O /dev/null http://127.0.0.1:9090/-/ready && wget -q -O /dev/null http://127.0.0.1:${PORTS.healthCheck}/`,
        ]),
      },
      grafana: {
        image: IMAGES.grafana,
        network_mode: monitoring,
        environment: { GF_AUTH_ANONYMOUS_ENABLED: 'true', GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer', GF_USERS_DEFAULT_THEME: 'light' },
        volumes: [
          './grafana/provisioning/datasources:/etc/grafana/provisioning/datasources:ro',
          './grafana/provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro',
          `./grafana/dashboards:${DASHBOARDS_INSTALL_DIR}:ro`,
          'grafana-data:/var/lib/grafana',
        ],
        depends_on: { prometheus: { condition: 'service_healthy' }, tempo: { condition: 'service_healthy' } },
        healthcheck: healthcheck(['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:3000/api/health'], '30s'),
      },
    },
    volumes: { ...(rewrite ? { 'app-traced': {} } : {}), 'mariadb-data': {}, 'tracekit-socket': {}, 'sidecar-spool': {}, 'tempo-data': {}, 'prometheus-data': {}, 'grafana-data': {} },
    networks: { [NETWORK.name]: { ipam: { config: [{ subnet: NETWORK.subnet }] } } },
  };
}

function readme(o: StageOptions, paths: readonly string[]): string {
  const ctx = path.relative(o.outDir, o.packageRoot) || '.';
  return [
    generatedHeader(o.command, 'markdown').trimEnd(),
    '',
    '# tracekit staging stack',
    '',
    `${generatedLine(o.command)}.`,
    '',
    `The legacy PHP app (\`${path.relative(o.outDir, o.appDir)}\`) behind nginx and php-fpm ${o.php}${o.withExtension ? ' (with the opentelemetry extension)' : ''}, with MariaDB`,
    "seeded from its `sql/`, tracekit's PHP bootstrap and sidecar, and the collector seam: the",
    'OpenTelemetry Collector, Tempo, Prometheus and Grafana with the dashboards from `tracekit collector`.',
    '',
    '## Run it',
    '',
    '```',
    'docker compose up --build      # or, with Compose v1: docker-compose up --build',
    '```',
    '',
    `The sidecar image is built from the tracekit source checkout: its build context is \`${ctx}\``,
    '(the repository root), so run this from a checkout, not from an installed package. A',
    '`.dockerignore` at the repository root with `node_modules` and `dist` makes that context small.',
    '',
    '## What to open',
    '',
    '| what | where |',
    '|---|---|',
    `| the app (every page of \`pages.json\`) | http://127.0.0.1:${PUBLISHED.app}/index.php |`,
    `| Grafana (anonymous viewer; admin/admin to edit): dashboards in the *tracekit* folder, traces under Explore → Tempo | http://127.0.0.1:${PUBLISHED.grafana}/ |`,
    `| Prometheus (targets: collector, its exporter, the sidecar) | http://127.0.0.1:${PUBLISHED.prometheus}/targets |`,
    `| Tempo's API | http://127.0.0.1:${PUBLISHED.tempo}/ready |`,
    '',
    'Ports are bound to 127.0.0.1 only.',
    '',
    '## How it fits together',
    '',
    `- php-fpm loads \`tracekit-prepend.php\` (written by \`tracekit php init\`, in \`php/tracekit/\`) and sends each request's spans over the unix socket \`${PATHS.socket}\` (the \`tracekit-socket\` volume) to the sidecar.`,
    `- The sidecar (${ADDRESSES.sidecar}:${SIDECAR_PORT}, also serving /metrics) forwards to the collector at ${ADDRESSES.collector}:${PORTS.otlpHttp}, spooling to the \`sidecar-spool\` volume while it is down.`,
    `- Tempo, Prometheus and Grafana run in the collector's network namespace (\`network_mode: service:otelcol\`), so the seam's loopback addresses (Tempo's OTLP on 127.0.0.1:${PORTS.tempoOtlp}, the Prometheus exporter on 127.0.0.1:${PORTS.exporter}) are used exactly as \`tracekit collector\` writes them.`,
    `- DB spans: \`php/tracekit/${DEFAULT_HOOKS_FILE}\` (what \`tracekit php hooks --mode auto\` writes for this app) is loaded by the prepend. ${o.withExtension ? 'The opentelemetry extension is built into the php-fpm image, so its hooks fire on every mysqli/PDO call without touching the app.' : 'Without the opentelemetry extension (`--with-extension`) its pure-PHP wrappers only see call sites rewritten by `tracekit php rewrite`: the one-shot `app-rewrite` service copies the app (mounted read-only, never changed) into the `app-traced` volume and rewrites the copy, which nginx and php-fpm serve.'}`,
    '- The collector image has no shell, so it has no healthcheck of its own: the prometheus service\'s healthcheck also probes the collector\'s health_check extension.',
    '- Tempo runs as root because its data volume is mounted at the seam\'s `/var/lib/tempo`, which the image\'s user does not own.',
    '',
    '## What was run, and what was not',
    '',
    'Where tracekit is developed and tested there is no Docker engine. There:',
    '',
    "- `docker-compose config` (Compose v1, Debian's) validated this file; a test checks that every file it mounts exists, that every service is there, that the addresses and ports agree with the collector, Prometheus and sidecar configs, and that `docker/` in the repository is byte-identical to what `tracekit stage` writes;",
    '- the generated configs passed their checkers (`promtool check config` / `check rules`, the collector schema, YAML/JSON parsing, `php -l`, `nginx -t`, `php-fpm -t`, `tracekit sidecar` on the sidecar\'s flags);',
    '- the nginx and php-fpm health-check commands ran against real listeners, the app-rewrite command ran with local paths, and the sidecar image\'s build steps were replayed without Docker (tsc on the files its Dockerfile copies, the sidecar started from the assembled runtime stage);',
    '- the same pipeline ran without Docker (`tracekit stage --local`: nginx, php-fpm, MariaDB, the sidecar and Prometheus from Debian packages) end to end.',
    '',
    'Not run here: building the images, pulling the pinned tags, `docker compose up`, the container healthchecks, the PECL build of the opentelemetry extension, and the collector, Tempo and Grafana containers themselves.',
    '',
    '## Files',
    '',
    ...paths.map((p) => `- \`${p}\``),
    '',
  ].join('\n');
}

/**
 * The mysqli/PDO instrumentation for the app, as `tracekit php hooks APP
 * --mode auto` writes it: extension hooks where the opentelemetry extension is
 * loaded (--with-extension), pure-PHP wrappers for rewritten call sites otherwise.
 */
export async function renderAppHooks(appDir: string, command: string): Promise<string> {
  const report = await runAudit({ root: appDir, threads: 0 });
  return renderHooks(planHooks(report), { mode: 'auto', rawSql: false, command });
}

/** Every file of the stack, in a fixed order; same options → same bytes. */
export async function generateStack(o: StageOptions): Promise<GeneratedFile[]> {
  const c = o.command;
  const seam = stackSeamOptions(c);
  const otelcol = buildOtelcolConfig(seam);
  const problems = validateOtelcolConfig(otelcol);
  if (problems.length > 0) throw new Error(`generated collector config fails its schema: ${problems.join('; ')}`);
  const php = planPhpInit({ outDir: 'php/tracekit', cwd: '/', serviceName: o.serviceName, installDir: PATHS.phpInstallDir });

  const files: GeneratedFile[] = [
    { path: 'docker-compose.yml', content: yamlFile(composeFile(o), c) },
    { path: 'nginx/default.conf', content: `${generatedHeader(c, 'hash')}${nginxServerBlock({ listen: '80', root: PATHS.appRoot, fastcgiPass: 'php-fpm:9000' })}` },
    { path: 'php/Dockerfile', content: phpDockerfile(o) },
    { path: 'php/app-env.conf', content: phpAppEnv(o) },
    ...php.files.map((f) => ({ path: `php/tracekit/${f.name}`, content: f.content })),
    // tracekit-prepend.php loads tracekit-hooks.php from its own directory.
    { path: `php/tracekit/${DEFAULT_HOOKS_FILE}`, content: await renderAppHooks(o.appDir, `tracekit php hooks ${path.relative(o.outDir, o.appDir).split(path.sep).join('/')} --mode auto --out php/tracekit/${DEFAULT_HOOKS_FILE}`) },
    { path: 'sidecar/Dockerfile', content: sidecarDockerfile(o) },
    { path: 'otelcol/config.yaml', content: yamlFile(otelcol, c) },
    { path: 'prometheus/prometheus.yml', content: yamlFile(prometheusConfig(seam), c) },
    { path: `prometheus/${SIDECAR_TARGETS_FILE}`, content: yamlFile(sidecarTargets(`${ADDRESSES.sidecar}:${SIDECAR_PORT}`), c) },
    { path: `prometheus/rules/${RULE_FILES.recording}`, content: yamlFile(buildRecordingRules(), c) },
    { path: `prometheus/rules/${RULE_FILES.alerts}`, content: yamlFile(buildAlertRules(), c) },
    { path: 'tempo/tempo.yaml', content: yamlFile(buildTempoConfig(), c) },
    { path: 'grafana/provisioning/datasources/tracekit.yaml', content: yamlFile(buildDatasources(seam), c) },
    { path: 'grafana/provisioning/dashboards/tracekit.yaml', content: yamlFile(buildDashboardProvider(), c) },
    ...buildDashboards(c).map((d) => ({ path: `grafana/dashboards/${d.file}`, content: `${JSON.stringify(d.json, null, 2)}\n` })),
  ];
  files.push({ path: 'README.md', content: readme(o, files.map((f) => f.path)) });
  return files;
}
