import { appendFile } from 'node:fs/promises';
import type { Signal } from '../../otlp/index.js';
import { protobufToJson } from '../../otlp/index.js';
import { bodyBytes, type ExportResult, type UpstreamBody, type UpstreamTransport } from './export-result.js';

/**
 * `--upstream file:PATH`: appends each forwarded export request as one
 * OTLP/JSON line, `{"signal":"traces","request":{…}}`. One appendFile per
 * batch, so a reader tailing the file never sees half a line.
 */
export class FileTransport implements UpstreamTransport {
  constructor(
    private readonly path: string,
    private readonly signal: Signal,
  ) {}

  async send(body: UpstreamBody): Promise<ExportResult> {
    try {
      const request = protobufToJson(this.signal.requestType, bodyBytes(body));
      await appendFile(this.path, `${JSON.stringify({ signal: this.signal.name, request })}\n`);
      return { status: 'success', rejectedItems: 0 };
    } catch (error) {
      const code = (error as { code?: string }).code;
      // A full disk or a missing directory may clear up; anything else is a bug in the data.
      return code ? { status: 'retryable', reason: code } : { status: 'failure', reason: String(error) };
    }
  }

  async close(): Promise<void> {}
}
