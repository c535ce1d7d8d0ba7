import { formatHostPort } from './net.js';
import { PORTS } from './options.js';

export const TEMPO_DATA_DIR = '/var/lib/tempo';

/** Tempo 2.x in monolithic mode: local storage, everything on loopback, traces kept 7 days. */
export function buildTempoConfig(): Record<string, unknown> {
  return {
    stream_over_http_enabled: true,
    server: { http_listen_address: '127.0.0.1', http_listen_port: PORTS.tempoHttp, grpc_listen_address: '127.0.0.1', grpc_listen_port: PORTS.tempoGrpc, log_level: 'info' },
    // Monolithic Tempo still starts memberlist; keep it off the network.
    memberlist: { bind_addr: ['127.0.0.1'] },
    distributor: { receivers: { otlp: { protocols: { grpc: { endpoint: formatHostPort('127.0.0.1', PORTS.tempoOtlp) } } } } },
    ingester: { max_block_duration: '5m' },
    compactor: { compaction: { block_retention: '168h' } },
    storage: { trace: { backend: 'local', wal: { path: `${TEMPO_DATA_DIR}/wal` }, local: { path: `${TEMPO_DATA_DIR}/blocks` } } },
    usage_report: { reporting_enabled: false },
  };
}
