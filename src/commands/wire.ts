import type { Command } from 'commander';
import type { CommandContext } from '../cli.js';
import { planFastapi } from '../wire/fastapi.js';
import { planLitellm } from '../wire/litellm.js';
import { renderPlan, writePlan, type WirePlan } from '../wire/common.js';

interface FastapiFlags {
  app?: string;
  serviceName?: string;
  systemd?: string;
  endpoint?: string;
  venv?: string;
  host?: string;
  port?: string;
  out?: string;
}

interface LitellmFlags {
  serviceName?: string;
  systemd?: string;
  endpoint?: string;
  out?: string;
}

async function emit(ctx: CommandContext, plan: WirePlan, out: string | undefined): Promise<void> {
  if (out === undefined) {
    ctx.io.stdout.write(renderPlan(plan));
    return;
  }
  const written = await writePlan(out, plan);
  for (const file of written) ctx.io.stdout.write(`wrote ${file}\n`);
}

export function registerWire(program: Command, ctx: CommandContext): void {
  const group = program
    .command('wire')
    .description('Wiring for the modern services: FastAPI through opentelemetry-instrument, the LiteLLM proxy through its otel callback')
    .addHelpText('after', '\nExamples:\n  $ tracekit wire fastapi --app shop.main:app --systemd shop-api --endpoint http://10.0.0.5:4318\n  $ tracekit wire litellm --endpoint http://10.0.0.5:4318 --out ./litellm-otel\n');

  group
    .command('fastapi')
    .description('Packages, opentelemetry-instrument start command, OTEL_* environment and a systemd drop-in for a FastAPI service')
    .option('--app <module:app>', 'the ASGI application uvicorn serves, e.g. shop.main:app')
    .option('--service-name <name>', 'service.name of its spans (default: the top-level module)')
    .option('--systemd <unit>', 'also write a drop-in for this existing service unit')
    .option('--endpoint <url>', 'OTLP/HTTP receiver: the collector (http://COLLECTOR_IP:4318) or a local sidecar (default http://127.0.0.1:4318)')
    .option('--venv <dir>', 'virtualenv (or prefix) holding pip, uvicorn and opentelemetry-instrument; the drop-in uses its bin/ (default /usr/local)')
    .option('--host <address>', 'address uvicorn binds (default 127.0.0.1)')
    .option('--port <port>', 'port uvicorn binds (default 8000)')
    .option('--out <dir>', 'write the files there instead of printing them')
    .addHelpText(
      'after',
      `
Example:
  $ tracekit wire fastapi --app shop.main:app --service-name shop-api --systemd shop-api \\
      --venv /srv/shop/venv --endpoint http://10.0.0.5:4318 --out ./shop-api-otel
  Then: /srv/shop/venv/bin/pip install -r shop-api-otel/requirements-otel.txt, copy
  shop-api.service.d/ to /etc/systemd/system/, systemctl daemon-reload && systemctl restart shop-api.
`,
    )
    .action(async (f: FastapiFlags) => {
      const plan = planFastapi({ app: f.app, serviceName: f.serviceName, systemd: f.systemd, endpoint: f.endpoint, venv: f.venv, host: f.host, port: f.port });
      await emit(ctx, plan, f.out);
    });

  group
    .command('litellm')
    .description("Config snippet enabling the LiteLLM proxy's OpenTelemetry callback, the environment it needs, and a systemd drop-in")
    .option('--service-name <name>', 'service.name of its spans (default litellm-proxy)')
    .option('--systemd <unit>', 'also write a drop-in for this existing service unit')
    .option('--endpoint <url>', 'OTLP/HTTP receiver: the collector (http://COLLECTOR_IP:4318) or a local sidecar (default http://127.0.0.1:4318)')
    .option('--out <dir>', 'write the files there instead of printing them')
    .addHelpText(
      'after',
      `
Example:
  $ tracekit wire litellm --endpoint http://10.0.0.5:4318 --systemd litellm --out ./litellm-otel
  Then merge litellm-otel/litellm-otel.yaml into the proxy's config.yaml and install the drop-in.
`,
    )
    .action(async (f: LitellmFlags) => {
      const plan = planLitellm({ serviceName: f.serviceName, systemd: f.systemd, endpoint: f.endpoint });
      await emit(ctx, plan, f.out);
    });
}
