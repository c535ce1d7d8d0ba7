// Request bodies shared by the sidecar benchmarks. Deterministic: the same
// seed gives the same bytes on every run.
import { mulberry32 as prng } from '../lib/prng.mjs';

const QUERIES = [
  'SELECT id, name, price FROM products WHERE category_id = ? ORDER BY name LIMIT ?',
  'SELECT * FROM customers WHERE email = ?',
  'UPDATE carts SET updated_at = NOW() WHERE id = ?',
  'INSERT INTO order_items (order_id, product_id, qty) VALUES (?, ?, ?)',
  'SELECT COUNT(*) FROM reviews WHERE product_id = ?',
];

/**
 * An OTLP/JSON export shaped like the PHP bootstrap's (php-bootstrap/src/OtlpJson.php)
 * for one PHP request: the PHP resource attributes, one scope, a SERVER root
 * span with the HTTP attributes and `dbSpans` CLIENT spans with db.* attributes.
 * Ids, timestamps and values vary with the seed. dbSpans 0 is about.php, 5 product.php.
 */
export function phpExportJson(dbSpans, seed) {
  const rnd = prng(seed);
  const hex = (bytes) => Array.from({ length: bytes }, () => Math.floor(rnd() * 256).toString(16).padStart(2, '0')).join('');
  const traceId = hex(16);
  const rootId = hex(8);
  const start = 1700000000000000000n + BigInt(Math.floor(rnd() * 1e12));
  const str = (key, value) => ({ key, value: { stringValue: value } });
  const int = (key, value) => ({ key, value: { intValue: String(value) } });
  const path = dbSpans === 0 ? '/about.php' : '/product.php';
  const spans = [
    {
      traceId,
      spanId: rootId,
      name: `GET ${path}`,
      kind: 2,
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + BigInt(Math.floor(1e6 + rnd() * 5e6))),
      attributes: [
        str('http.request.method', 'GET'),
        str('url.path', path),
        str('url.scheme', 'http'),
        ...(dbSpans > 0 ? [str('url.query', `id=${Math.floor(rnd() * 1000)}`)] : []),
        str('server.address', 'shop.example'),
        int('server.port', 80),
        int('http.response.status_code', 200),
      ],
    },
  ];
  for (let i = 0; i < dbSpans; i++) {
    const s = start + BigInt(Math.floor(1e5 + rnd() * 1e6));
    spans.push({
      traceId,
      spanId: hex(8),
      name: `SELECT shop.products`,
      kind: 3,
      startTimeUnixNano: String(s),
      endTimeUnixNano: String(s + BigInt(Math.floor(rnd() * 5e5))),
      attributes: [
        str('db.system.name', 'mysql'),
        str('db.namespace', 'shop'),
        str('db.query.text', QUERIES[Math.floor(rnd() * QUERIES.length)]),
        str('db.operation.name', 'SELECT'),
        str('server.address', 'db.internal'),
        int('server.port', 3306),
      ],
      parentSpanId: rootId,
    });
  }
  const resource = [
    str('service.name', 'corner-shop'),
    str('telemetry.sdk.name', 'tracekit'),
    str('telemetry.sdk.language', 'php'),
    str('telemetry.sdk.version', '0.1.0'),
    str('process.runtime.name', 'php'),
    str('process.runtime.version', '8.2.28'),
    int('process.pid', 1000 + Math.floor(rnd() * 30000)),
  ];
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ scope: { name: 'tracekit', version: '0.1.0' }, spans }] }] });
}

/**
 * One export request of `spans` DB spans, as OTLP/JSON, with ids, timestamps
 * and a literal varied per body: identical bodies would make the forwarded
 * batches compress ~15x better than real traffic does.
 */
export function dbSpansJson(spans, seed) {
  const rnd = prng(seed);
  const hex = (bytes) => Array.from({ length: bytes }, () => Math.floor(rnd() * 256).toString(16).padStart(2, '0')).join('');
  const traceId = hex(16);
  const list = [];
  for (let i = 0; i < spans; i++) {
    const start = 1700000000000000000n + BigInt(Math.floor(rnd() * 1e12));
    list.push({
      traceId,
      spanId: hex(8),
      parentSpanId: hex(8),
      name: 'SELECT shop.products',
      kind: 3,
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + BigInt(Math.floor(rnd() * 5e6))),
      attributes: [
        { key: 'db.system.name', value: { stringValue: 'mysql' } },
        { key: 'db.query.text', value: { stringValue: `SELECT id, name, price FROM products WHERE category_id = ? ORDER BY name LIMIT ${Math.floor(rnd() * 100)}` } },
        { key: 'server.address', value: { stringValue: 'db.internal' } },
        { key: 'server.port', value: { intValue: '3306' } },
      ],
    });
  }
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'corner-shop' } }] }, scopeSpans: [{ scope: { name: 'tracekit' }, spans: list }] }] });
}
