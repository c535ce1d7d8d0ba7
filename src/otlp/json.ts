import protobuf from 'protobufjs';
import { ID_FIELDS, ITEM_FIELDS } from './schema.js';
import { MAX_MESSAGE_DEPTH, OtlpDecodeError } from './validate-protobuf.js';

const HEX = /^[0-9a-fA-F]*$/;

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Rewrites an OTLP/JSON document into the plain object protobufjs'
 * `fromObject` expects: hex ids become bytes, snake_case keys (which the
 * spec asks receivers to tolerate) become lowerCamelCase, and the shape is
 * checked against the schema with the same depth cap as protobuf input.
 */
function normalise(type: protobuf.Type, value: unknown, depth: number, stats: { items: number }, where: string): Record<string, unknown> {
  if (depth > MAX_MESSAGE_DEPTH) throw new OtlpDecodeError(`message nesting deeper than ${MAX_MESSAGE_DEPTH} levels (at ${where})`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new OtlpDecodeError(`${where} must be an object`);
  const input = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    let v = input[field.name];
    if (v === undefined) v = input[snakeCase(field.name)];
    if (v === undefined || v === null) continue;
    const key = `${type.name}.${field.name}`;
    const path = `${where}.${field.name}`;
    const convert = (element: unknown, at: string): unknown => {
      const resolved = field.resolvedType;
      if (resolved instanceof protobuf.Type) return normalise(resolved, element, depth + 1, stats, at);
      const idLength = ID_FIELDS.get(key);
      if (idLength !== undefined) {
        if (typeof element !== 'string' || !HEX.test(element) || (element.length !== 0 && element.length !== idLength * 2)) {
          throw new OtlpDecodeError(`${at} must be a ${idLength * 2}-digit hex string`);
        }
        return Buffer.from(element, 'hex');
      }
      return element;
    };
    if (field.repeated) {
      if (!Array.isArray(v)) throw new OtlpDecodeError(`${path} must be an array`);
      if (ITEM_FIELDS.has(key)) stats.items += v.length;
      out[field.name] = v.map((e, i) => convert(e, `${path}[${i}]`));
    } else {
      out[field.name] = convert(v, path);
    }
  }
  return out;
}

export interface TranscodedRequest {
  readonly bytes: Uint8Array;
  readonly items: number;
}

/** Parses an OTLP/JSON export request and re-encodes it as protobuf, counting its items. */
export function jsonToProtobuf(type: protobuf.Type, body: Buffer | string): TranscodedRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (error) {
    throw new OtlpDecodeError(`body is not JSON: ${(error as Error).message}`);
  }
  const stats = { items: 0 };
  const plain = normalise(type, parsed, 1, stats, type.name);
  let message: protobuf.Message;
  try {
    message = type.fromObject(plain);
  } catch (error) {
    throw new OtlpDecodeError(`body does not match ${type.name}: ${(error as Error).message}`);
  }
  const verifyError = type.verify(message);
  if (verifyError) throw new OtlpDecodeError(`body does not match ${type.name}: ${verifyError}`);
  return { bytes: type.encode(message).finish(), items: stats.items };
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
