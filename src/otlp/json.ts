import protobuf from 'protobufjs';
import { scanJsonBody, transcodeJson, type TranscodedRequest } from './transcode-json.js';
import { OtlpDecodeError } from './validate-protobuf.js';

export type { TranscodedRequest };

/** Parses an OTLP/JSON export request and transcodes it to protobuf, counting its items. */
export function jsonToProtobuf(type: protobuf.Type, body: Buffer | string): TranscodedRequest {
  // Most bodies are transcoded straight from their bytes; the rest (and every bad one) go through JSON.parse.
  if (typeof body !== 'string') {
    const scanned = scanJsonBody(type, body);
    if (scanned) return scanned;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (error) {
    throw new OtlpDecodeError(`body is not JSON: ${(error as Error).message}`);
  }
  return transcodeJson(type, parsed);
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: Number, bytes: String, defaults: false, arrays: false, objects: false, oneofs: false };
const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

function idsToHex(value: unknown): void {
  if (Array.isArray(value)) {
    for (const v of value) idsToHex(v);
  } else if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      if (ID_KEYS.has(key) && typeof v === 'string') obj[key] = Buffer.from(v, 'base64').toString('hex');
      else idsToHex(v);
    }
  }
}

/**
 * The OTLP/JSON form of an (already validated) protobuf request: lowerCamelCase
 * keys, hex ids, enums as integers, 64-bit integers as decimal strings.
 */
export function protobufToJson(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  const object = type.toObject(type.decode(bytes), TO_OBJECT);
  // Only id fields are object keys named like this; attribute keys live in "key" values.
  idsToHex(object);
  return object;
}

/** Encodes a response message for the client in the content type it used. */
export function encodeMessage(type: protobuf.Type, object: Record<string, unknown>, json: boolean): Buffer {
  if (json) return Buffer.from(JSON.stringify(object));
  const bytes = type.encode(type.fromObject(object)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
