export { SIGNALS, SIGNAL_NAMES, isSignalName, type Signal, type SignalName } from './signals.js';
export { validateProtobuf, OtlpDecodeError, MAX_MESSAGE_DEPTH, type ValidationStats } from './validate-protobuf.js';
export { jsonToProtobuf, protobufToJson, encodeMessage, type TranscodedRequest } from './json.js';
export { root as otlpRoot, lookupType } from './schema.js';
export { dropInvalidItems } from './filter.js';
