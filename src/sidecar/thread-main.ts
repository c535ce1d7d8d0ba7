// The sidecar's thread (see thread.ts): starts it with the configuration it is
// given, reports back, and drains it when told to stop.
import { parentPort, resourceLimits, workerData } from 'node:worker_threads';
import { createLogger } from '../logger.js';
import type { SidecarConfig } from './config.js';
import { startSidecar } from './index.js';
import { serializeError, type ThreadMessage } from './thread.js';

const port = parentPort!;
const { config } = workerData as { config: SidecarConfig };
const logger = createLogger({ level: config.logLevel });
const report = (message: ThreadMessage) => port.postMessage(message);

try {
  const sidecar = await startSidecar(config, { logger });
  port.once('message', (message: { type: 'stop'; signal: string }) => {
    logger.info({ signal: message.signal }, 'stopping: no new data, draining the queue');
    sidecar.close().then(
      () => {
        report({ type: 'stopped' });
        port.close();
      },
      (error: unknown) => report({ type: 'failed', error: serializeError(error) }),
    );
  });
  report({ type: 'started', tcpAddress: sidecar.tcpAddress, socketPath: sidecar.socketPath, youngGenerationMib: resourceLimits.maxYoungGenerationSizeMb ?? 0 });
} catch (error) {
  report({ type: 'failed', error: serializeError(error) });
  port.close();
}
