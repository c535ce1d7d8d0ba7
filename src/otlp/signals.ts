import type protobuf from 'protobufjs';
import { lookupType } from './schema.js';

export type SignalName = 'traces' | 'metrics' | 'logs';
export const SIGNAL_NAMES: readonly SignalName[] = ['traces', 'metrics', 'logs'];

export interface Signal {
  readonly name: SignalName;
  readonly path: `/v1/${SignalName}`;
  readonly requestType: protobuf.Type;
  readonly responseType: protobuf.Type;
  readonly partialSuccessType: protobuf.Type;
  /** The partial-success field counting rejected items, e.g. rejectedSpans. */
  readonly rejectedField: string;
}

function signal(name: SignalName, service: string, rejectedField: string): Signal {
  return {
    name,
    path: `/v1/${name}`,
    requestType: lookupType(`Export${service}ServiceRequest`),
    responseType: lookupType(`Export${service}ServiceResponse`),
    partialSuccessType: lookupType(`Export${service}PartialSuccess`),
    rejectedField,
  };
}

export const SIGNALS: Readonly<Record<SignalName, Signal>> = {
  traces: signal('traces', 'Trace', 'rejectedSpans'),
  metrics: signal('metrics', 'Metrics', 'rejectedDataPoints'),
  logs: signal('logs', 'Logs', 'rejectedLogRecords'),
};

export function isSignalName(value: string): value is SignalName {
  return value === 'traces' || value === 'metrics' || value === 'logs';
}
