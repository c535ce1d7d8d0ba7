import { describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/require-tool.js';
import { phpJson, runPhpCode } from './php-cli.js';

const php = requireTool('php');

describe.skipIf(php === null)('PHP runtime units (php-cli)', () => {
  const bin = php as string;

  describe('ids', () => {
    it('makes lowercase hex trace and span ids of the W3C lengths, never repeating', () => {
      const ids = phpJson<{ traces: string[]; spans: string[] }>(bin, `
        $t = []; $s = [];
        for ($i = 0; $i < 500; $i++) { $t[] = Tracekit\\Runtime\\Ids::traceId(); $s[] = Tracekit\\Runtime\\Ids::spanId(); }
        echo json_encode(['traces' => $t, 'spans' => $s]);`);
      for (const id of ids.traces) expect(id).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
      for (const id of ids.spans) expect(id).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
      expect(new Set(ids.traces).size).toBe(500);
      expect(new Set(ids.spans).size).toBe(500);
    });
  });

  describe('traceparent', () => {
    const valid = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const cases: Array<[string, unknown]> = [
      [valid, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', sampled: true }],
      ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00', { sampled: false }],
      ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03', { sampled: true }],
      [`  ${valid}\t`, { spanId: 'b7ad6b7169203331' }],
      ['cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-holds', { sampled: true }],
      ['cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', { sampled: true }],
      ['00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01', null],
      ['ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', null],
      ['00-00000000000000000000000000000000-b7ad6b7169203331-01', null],
      ['00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01', null],
      ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g', null],
      [`${valid}-extra`, null],
      ['cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x', null],
      ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01', null],
      ['00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', null],
      ['', null],
      ['garbage', null],
    ];
    it('parses valid headers and rejects every malformed one', () => {
      const results = phpJson<Array<Record<string, unknown> | null>>(bin, `
        $out = [];
        foreach (json_decode(${JSON.stringify(JSON.stringify(cases.map((c) => c[0])))}, true) as $h) {
          $c = Tracekit\\Runtime\\TraceContext::fromHeaders($h, null);
          $out[] = $c === null ? null : ['traceId' => $c->traceId, 'spanId' => $c->spanId, 'sampled' => $c->sampled];
        }
        $out[] = Tracekit\\Runtime\\TraceContext::fromHeaders(null, null);
        $out[] = Tracekit\\Runtime\\TraceContext::fromHeaders(['array'], null);
        echo json_encode($out);`);
      cases.forEach(([header, expected], i) => {
        if (expected === null) expect(results[i], header).toBeNull();
        else expect(results[i], header).toMatchObject(expected as object);
      });
      expect(results.slice(cases.length)).toEqual([null, null]);
    });

    it('formats a traceparent and keeps a well-formed tracestate, dropping a malformed one', () => {
      const out = phpJson<string[]>(bin, `
        echo json_encode([
          Tracekit\\Runtime\\TraceContext::format('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', true),
          Tracekit\\Runtime\\TraceContext::format('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', false),
          Tracekit\\Runtime\\TraceContext::sanitizeTracestate('congo=t61rcWkgMzE, rojo=00f067aa0ba902b7'),
          Tracekit\\Runtime\\TraceContext::sanitizeTracestate('novalue'),
          Tracekit\\Runtime\\TraceContext::sanitizeTracestate("a=b\\x01"),
          Tracekit\\Runtime\\TraceContext::sanitizeTracestate(str_repeat('a=b,', 40)),
        ]);`);
      expect(out).toEqual([
        '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00',
        'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
        '',
        '',
        '',
      ]);
    });
  });

  describe('sampler', () => {
    it('follows the parent for parentbased samplers and the trace id for ratios', () => {
      const out = phpJson<boolean[]>(bin, `
        use Tracekit\\Runtime\\Sampler; use Tracekit\\Runtime\\TraceContext;
        $on = new TraceContext('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', true, '');
        $off = new TraceContext('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', false, '');
        $low = 'ffffffffffffffffff00000000000001';
        $high = '000000000000000000ffffffffffffff';
        echo json_encode([
          Sampler::shouldSample('parentbased_always_on', 1.0, $low, $off),
          Sampler::shouldSample('parentbased_always_off', 1.0, $low, $on),
          Sampler::shouldSample('parentbased_always_on', 1.0, $low, null),
          Sampler::shouldSample('parentbased_always_off', 1.0, $low, null),
          Sampler::shouldSample('always_off', 1.0, $low, $on),
          Sampler::shouldSample('always_on', 1.0, $low, $off),
          Sampler::shouldSample('traceidratio', 0.5, $low, null),
          Sampler::shouldSample('traceidratio', 0.5, $high, null),
          Sampler::shouldSample('parentbased_traceidratio', 0.0, $low, null),
          Sampler::shouldSample('parentbased_traceidratio', 0.0, $low, $on),
          Sampler::shouldSample('traceidratio', 1.0, $high, null),
        ]);`);
      expect(out).toEqual([false, true, true, false, false, true, true, false, false, true, true]);
    });

    it('samples about the configured share of random traces', () => {
      const share = phpJson<number>(bin, `
        $n = 0;
        for ($i = 0; $i < 4000; $i++) { if (Tracekit\\Runtime\\Sampler::ratioSamples(0.25, Tracekit\\Runtime\\Ids::traceId())) $n++; }
        echo json_encode($n / 4000);`);
      // 4000 Bernoulli(0.25) draws: the standard deviation is 0.0068; 0.05 is more than 7 of them.
      expect(share).toBeGreaterThan(0.2);
      expect(share).toBeLessThan(0.3);
    });
  });

  describe('configuration', () => {
    const resolve = (env: Record<string, string>, defaults: Record<string, string> = {}) =>
      phpJson<Record<string, unknown>>(bin, `
        $env = json_decode(${JSON.stringify(JSON.stringify(env))}, true);
        $c = Tracekit\\Runtime\\Config::resolve(json_decode(${JSON.stringify(JSON.stringify(defaults))}, true), function ($n) use ($env) { return isset($env[$n]) ? $env[$n] : false; });
        echo json_encode(get_object_vars($c));`);

    it('uses the defaults from the prepend when the environment says nothing', () => {
      const c = resolve({}, { serviceName: 'shop', endpoint: 'http://127.0.0.1:4318', version: '9.9.9' });
      expect(c).toMatchObject({ disabled: false, serviceName: 'shop', transport: 'tcp://127.0.0.1:4318', httpPath: '/v1/traces', exportTimeoutMillis: 5, sampler: 'parentbased_always_on', samplerRatio: 1, finishRequest: true, cliSpans: true, version: '9.9.9' });
      expect(resolve({})).toMatchObject({ serviceName: 'unknown_service:php', transport: 'unix:///run/tracekit/otlp.sock' });
    });

    it('reads the OTEL_* variables with the signal-specific endpoint first', () => {
      const c = resolve({
        OTEL_SERVICE_NAME: 'billing',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,team=a%2Cb, service.name=ignored ,broken',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9999',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://localhost:4318/custom/traces',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        TRACEKIT_EXPORT_TIMEOUT_MS: '12',
        TRACEKIT_FINISH_REQUEST: 'off',
        TRACEKIT_CLI_SPANS: '0',
      });
      expect(c).toMatchObject({
        serviceName: 'billing',
        resourceAttributes: { 'deployment.environment.name': 'prod', team: 'a,b', 'service.name': 'ignored' },
        transport: 'tcp://127.0.0.1:4318',
        httpPath: '/custom/traces',
        sampler: 'parentbased_traceidratio',
        samplerRatio: 0.25,
        exportTimeoutMillis: 12,
        finishRequest: false,
        cliSpans: false,
      });
      expect(resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9999/base/' })).toMatchObject({ transport: 'tcp://127.0.0.1:9999', httpPath: '/base/v1/traces' });
      expect(resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: 'unix:///tmp/x.sock' })).toMatchObject({ transport: 'unix:///tmp/x.sock', httpPath: '/v1/traces' });
      expect(resolve({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' })).toMatchObject({ serviceName: 'from-attrs' });
    });

    it('ignores bad values silently and keeps the previous setting', () => {
      const bad = resolve(
        {
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example.com:4318',
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.internal:4318',
          OTEL_TRACES_SAMPLER: 'sometimes',
          OTEL_TRACES_SAMPLER_ARG: '1.5',
          TRACEKIT_EXPORT_TIMEOUT_MS: '-3',
          TRACEKIT_FINISH_REQUEST: 'maybe',
          TRACEKIT_HTTP_ROUTE: 'guess',
          TRACEKIT_MAX_SPANS: 'lots',
        },
        { endpoint: 'unix:///var/run/t.sock' },
      );
      expect(bad).toMatchObject({ transport: 'unix:///var/run/t.sock', sampler: 'parentbased_always_on', samplerRatio: 1, exportTimeoutMillis: 5, finishRequest: true, routeSource: 'script', maxSpans: 512 });
      for (const endpoint of ['http://127.0.0.1:0', 'http://127.0.0.1:70000', 'http://[::2]:4318', 'http://user@127.0.0.1:1', 'unix://relative.sock', 'ftp://127.0.0.1:1', 'http://127.0.0.1:4318/x?y']) {
        expect(resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }).transport, endpoint).toBe('unix:///run/tracekit/otlp.sock');
      }
      expect(resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://[::1]:4318' })).toMatchObject({ transport: 'tcp://[::1]:4318' });
    });

    it('is switched off by OTEL_SDK_DISABLED=true or TRACEKIT_DISABLED=1 only', () => {
      expect(resolve({ OTEL_SDK_DISABLED: 'true' }).disabled).toBe(true);
      expect(resolve({ OTEL_SDK_DISABLED: 'TRUE' }).disabled).toBe(true);
      expect(resolve({ TRACEKIT_DISABLED: '1' }).disabled).toBe(true);
      expect(resolve({ OTEL_SDK_DISABLED: 'false' }).disabled).toBe(false);
      expect(resolve({ OTEL_SDK_DISABLED: '1' }).disabled).toBe(false);
    });
  });

  describe('resource', () => {
    it('carries service.name, host.name, process.pid, telemetry.sdk.* and OTEL_RESOURCE_ATTRIBUTES', () => {
      const attrs = phpJson<Record<string, unknown>>(bin, `
        $c = Tracekit\\Runtime\\Config::resolve(['serviceName' => 'shop', 'version' => '1.2.3'], function ($n) { return $n === 'OTEL_RESOURCE_ATTRIBUTES' ? 'deployment.environment.name=staging' : false; });
        echo json_encode(Tracekit\\Runtime\\ResourceInfo::attributes($c) + ['pid' => getmypid(), 'host' => gethostname()]);`);
      expect(attrs).toMatchObject({
        'service.name': 'shop',
        'host.name': attrs.host,
        'process.pid': attrs.pid,
        'telemetry.sdk.name': 'tracekit',
        'telemetry.sdk.language': 'php',
        'telemetry.sdk.version': '1.2.3',
        'deployment.environment.name': 'staging',
      });
    });
  });

  describe('tracer and OTLP/JSON encoding', () => {
    it('nests spans on the current-span stack, tolerates out-of-order ends and encodes OTLP/JSON', () => {
      const out = phpJson<{ request: any; headers: Record<string, string>; current: string | null }>(bin, `
        use Tracekit\\Runtime\\Tracer; use Tracekit\\Runtime\\Span; use Tracekit\\Runtime\\Config; use Tracekit\\Runtime\\TraceContext; use Tracekit\\Runtime\\OtlpJson;
        $c = Config::resolve(['serviceName' => 'unit'], function ($n) { return false; });
        Tracer::activate($c, new TraceContext('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', true, 'congo=t61'));
        $root = Tracer::startSpan('GET /x.php', Span::KIND_SERVER, ['http.request.method' => 'GET'], '1700000000000000000');
        $db = Tracer::startSpan('SELECT shop', Span::KIND_CLIENT, ['db.system.name' => 'mysql', 'n' => 3, 'ratio' => 0.5, 'ok' => true, 'list' => ['a', 1, null], 'bad' => "caf\\xe9"]);
        $inner = Tracer::startSpan('inner');
        $headers = Tracer::injectHeaders(['accept' => 'text/html']);
        $db->recordException(new \\RuntimeException('gone away'));
        $db->end();
        $current = Tracer::currentSpan() === null ? null : Tracer::currentSpan()->name;
        $inner->end();
        Tracer::endAll('1700000000500000000');
        $json = OtlpJson::encode(Tracer::takeFinished(), ['service.name' => 'unit'], '0.0.1');
        echo json_encode(['request' => json_decode($json, true), 'headers' => $headers, 'current' => $current]);`);
      const spans = out.request.resourceSpans[0].scopeSpans[0].spans;
      expect(out.request.resourceSpans[0].resource.attributes).toEqual([{ key: 'service.name', value: { stringValue: 'unit' } }]);
      expect(out.request.resourceSpans[0].scopeSpans[0].scope).toEqual({ name: 'tracekit', version: '0.0.1' });
      expect(spans.map((s: any) => s.name)).toEqual(['SELECT shop', 'inner', 'GET /x.php']);
      const [db, inner, root] = spans;
      expect(root).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', parentSpanId: 'b7ad6b7169203331', traceState: 'congo=t61', kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000500000000' });
      expect(db).toMatchObject({ traceId: root.traceId, parentSpanId: root.spanId, kind: 3, status: { code: 2, message: 'gone away' } });
      expect(inner.parentSpanId).toBe(db.spanId);
      expect(out.current).toBe('inner');
      expect(out.headers).toEqual({ accept: 'text/html', traceparent: `00-${root.traceId}-${inner.spanId}-01`, tracestate: 'congo=t61' });
      const attrs = Object.fromEntries(db.attributes.map((a: any) => [a.key, a.value]));
      expect(attrs).toEqual({
        'db.system.name': { stringValue: 'mysql' },
        n: { intValue: '3' },
        ratio: { doubleValue: 0.5 },
        ok: { boolValue: true },
        list: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }] } },
        bad: { stringValue: 'caf\ufffd' },
        'error.type': { stringValue: 'RuntimeException' },
      });
      expect(db.events[0]).toMatchObject({ name: 'exception' });
      expect(Object.fromEntries(db.events[0].attributes.map((a: any) => [a.key, a.value.stringValue]))).toMatchObject({ 'exception.type': 'RuntimeException', 'exception.message': 'gone away' });
      expect(BigInt(db.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(db.startTimeUnixNano));
    });

    it('encodes every string exactly, whatever it holds (quotes, backslashes, %, control bytes, bad UTF-8)', () => {
      // The encoder escapes all strings in one json_encode() and fills them into a `%s` template:
      // strings that look like its separators or format must still land in their own field.
      const hostile = ['', '","', 'x",', '"', '\\', '\\"', '%s', '%d%%', '"]', 'a\nb\tc\u0001', 'ünïcode 💥', '/path?x=1&y="2"'];
      const out = phpJson<any>(bin, `
        use Tracekit\\Runtime\\Span; use Tracekit\\Runtime\\OtlpJson;
        $hostile = json_decode(${JSON.stringify(JSON.stringify(hostile))}, true);
        $hostile[] = "caf\\xe9 \\xff";
        $s = new Span('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 'a7ad6b7169203331', 'k=%s"', true, '%s "name" \\\\', 2, '1700000000000000000');
        $s->endNanos = '1700000000000000001';
        foreach ($hostile as $i => $h) { $s->attributes[$h === '' ? 'empty' : $h] = $h; }
        $s->attributes['list'] = $hostile;
        $s->attributes['n'] = -7; $s->attributes['f'] = 0.25; $s->attributes['t'] = true; $s->attributes['nan'] = NAN; $s->attributes['skip'] = null;
        $s->events[] = ['name' => '"ev%s', 'timeNanos' => '1700000000000000000', 'attributes' => ['x' => '","']];
        $s->statusCode = Span::STATUS_ERROR; $s->statusMessage = 'failed: "%s"';
        echo OtlpJson::encode([$s], ['service.name' => '"svc"', 'process.pid' => 42], '1.0.0', 2);`);
      const rs = out.resourceSpans[0];
      expect(rs.resource.attributes).toEqual([{ key: 'service.name', value: { stringValue: '"svc"' } }, { key: 'process.pid', value: { intValue: '42' } }]);
      expect(rs.scopeSpans[0].scope).toEqual({ name: 'tracekit', version: '1.0.0', attributes: [{ key: 'tracekit.dropped_spans', value: { intValue: '2' } }] });
      const [span] = rs.scopeSpans[0].spans;
      expect(span).toMatchObject({ name: '%s "name" \\', traceState: 'k=%s"', parentSpanId: 'a7ad6b7169203331', status: { code: 2, message: 'failed: "%s"' } });
      expect(span.events).toEqual([{ timeUnixNano: '1700000000000000000', name: '"ev%s', attributes: [{ key: 'x', value: { stringValue: '","' } }] }]);
      const expected = [...hostile, 'caf\ufffd \ufffd'];
      const attrs = Object.fromEntries(span.attributes.map((a: any) => [a.key, a.value]));
      for (const h of expected) expect(attrs[h === '' ? 'empty' : h]).toEqual({ stringValue: h });
      expect(attrs.list).toEqual({ arrayValue: { values: expected.map((h) => ({ stringValue: h })) } });
      expect(attrs).toMatchObject({ n: { intValue: '-7' }, f: { doubleValue: 0.25 }, t: { boolValue: true }, nan: { stringValue: 'NAN' } });
      expect(attrs.skip).toBeUndefined();
    });

    it('keeps unsampled spans out of the export but still propagates the trace', () => {
      const out = phpJson<{ finished: number; traceparent: string }>(bin, `
        use Tracekit\\Runtime\\Tracer; use Tracekit\\Runtime\\Config; use Tracekit\\Runtime\\TraceContext;
        Tracer::activate(Config::resolve([], function ($n) { return false; }), new TraceContext('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', false, ''));
        $root = Tracer::startSpan('GET');
        $child = Tracer::startSpan('child');
        $tp = Tracer::traceparent();
        Tracer::endAll();
        echo json_encode(['finished' => count(Tracer::takeFinished()), 'traceparent' => $tp]);`);
      expect(out.finished).toBe(0);
      expect(out.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
    });

    it('caps the spans kept per request and counts the rest', () => {
      const out = phpJson<{ kept: number; dropped: number }>(bin, `
        use Tracekit\\Runtime\\Tracer; use Tracekit\\Runtime\\Config;
        Tracer::activate(Config::resolve([], function ($n) { return $n === 'TRACEKIT_MAX_SPANS' ? '10' : false; }), null);
        for ($i = 0; $i < 25; $i++) { Tracer::startSpan('s' . $i)->end(); }
        echo json_encode(['kept' => count(Tracer::takeFinished()), 'dropped' => Tracer::droppedSpans()]);`);
      expect(out).toEqual({ kept: 10, dropped: 15 });
    });

    it('returns a span that records nothing when tracing is not active', () => {
      const out = phpJson<unknown[]>(bin, `
        $s = Tracekit\\Runtime\\Tracer::startSpan('x');
        $s->setAttribute('a', 1); $s->end();
        echo json_encode([$s->isRecording(), $s->attributes, Tracekit\\Runtime\\Tracer::injectHeaders([]), Tracekit\\Runtime\\Tracer::traceparent()]);`);
      expect(out).toEqual([false, [], [], null]);
    });
  });

  describe('HTTP root span', () => {
    it('names the span {METHOD} {route} and sets the semantic-convention attributes', () => {
      const out = phpJson<[string, Record<string, unknown>][]>(bin, `
        use Tracekit\\Runtime\\HttpRequest;
        echo json_encode([
          HttpRequest::describe(['REQUEST_METHOD' => 'GET', 'REQUEST_URI' => '/shop/product.php?id=4&token=abc&password%5B%5D=x', 'QUERY_STRING' => 'id=4&token=abc&password%5B%5D=x', 'SCRIPT_NAME' => '/shop/product.php', 'HTTP_HOST' => 'shop.test:8080', 'SERVER_PORT' => '8080', 'REMOTE_ADDR' => '10.0.0.9', 'HTTP_USER_AGENT' => 'curl/8', 'SERVER_PROTOCOL' => 'HTTP/1.1', 'HTTPS' => 'on'], 'script'),
          HttpRequest::describe(['REQUEST_METHOD' => 'BREW', 'REQUEST_URI' => '/pot'], 'none'),
        ]);`);
      expect(out[0]![0]).toBe('GET /shop/product.php');
      expect(out[0]![1]).toEqual({
        'http.request.method': 'GET',
        'url.path': '/shop/product.php',
        'url.query': 'id=4&token=REDACTED&password%5B%5D=REDACTED',
        'url.scheme': 'https',
        'http.route': '/shop/product.php',
        'server.address': 'shop.test',
        'server.port': 8080,
        'client.address': '10.0.0.9',
        'user_agent.original': 'curl/8',
        'network.protocol.version': '1.1',
      });
      expect(out[1]).toEqual(['HTTP', { 'http.request.method': '_OTHER', 'http.request.method_original': 'BREW', 'url.path': '/pot', 'url.scheme': 'http' }]);
    });

    it('cuts long values to the attribute length limit, as setAttribute() would, and the root span keeps them as they are', () => {
      const out = phpJson<{ cut: Record<string, unknown>; short: Record<string, unknown>; root: Record<string, unknown>; viaSetAttribute: Record<string, unknown>; name: string; sampled: boolean }>(bin, `
        use Tracekit\\Runtime\\HttpRequest; use Tracekit\\Runtime\\Tracer; use Tracekit\\Runtime\\Config; use Tracekit\\Runtime\\Span;
        $server = ['REQUEST_METHOD' => 'GET', 'REQUEST_URI' => '/' . str_repeat('p', 40) . '?token=&key=', 'SCRIPT_NAME' => '/index.php', 'HTTP_HOST' => str_repeat('h', 30), 'REMOTE_ADDR' => '10.0.0.9', 'HTTP_USER_AGENT' => str_repeat('u', 17), 'SERVER_PROTOCOL' => 'HTTP/1.1'];
        list($name, $cut) = HttpRequest::describe($server, 'script', 16);
        list(, $short) = HttpRequest::describe(['REQUEST_METHOD' => 'GET', 'REQUEST_URI' => '/x?a=', 'HTTP_USER_AGENT' => 'curl/8'], 'script', 16);
        $c = Config::resolve([], function ($n) { return $n === 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT' ? '16' : false; });
        list(, $full) = HttpRequest::describe($server, 'script');
        $probe = new Span('', '', '', '', true, 'p', Span::KIND_SERVER, '1');
        $probe->maxAttributeLength = 16;
        $probe->setAttributes($full);
        $root = Tracer::startRoot($c, null, $name, Span::KIND_SERVER, $cut);
        echo json_encode(['cut' => $cut, 'short' => $short, 'root' => $root->attributes, 'viaSetAttribute' => $probe->attributes, 'name' => $root->name, 'sampled' => $root->sampled]);`);
      expect(out.cut).toEqual(out.viaSetAttribute);
      expect(out.cut).toMatchObject({ 'url.path': '/' + 'p'.repeat(15), 'url.query': 'token=REDACTED&k', 'server.address': 'h'.repeat(16), 'user_agent.original': 'u'.repeat(16) });
      expect(out.short).toEqual({ 'http.request.method': 'GET', 'url.path': '/x', 'url.query': 'a=', 'url.scheme': 'http', 'user_agent.original': 'curl/8' });
      expect(out.root).toEqual(out.cut);
      expect(out).toMatchObject({ name: 'GET /index.php', sampled: true });
    });

    it('turns a fatal "Uncaught …" error into an exception event with the class as error.type', () => {
      const out = phpJson<any>(bin, `
        use Tracekit\\Runtime\\Tracer; use Tracekit\\Runtime\\Config; use Tracekit\\Runtime\\Bootstrap; use Tracekit\\Runtime\\OtlpJson;
        Tracer::activate(Config::resolve([], function ($n) { return false; }), null);
        $a = Tracer::startSpan('a'); $b = Tracer::startSpan('b');
        Bootstrap::recordFatal($a, "Uncaught App\\\\Db\\\\GoneAway: server has gone away in /srv/app/db.php:12\\nStack trace:\\n#0 {main}\\n  thrown", '/srv/app/db.php', 12, '1');
        Bootstrap::recordFatal($b, 'Allowed memory size of 1 bytes exhausted', '/srv/app/x.php', 3, '1');
        Tracer::endAll();
        echo OtlpJson::encode(Tracer::takeFinished(), [], '0');`);
      const [b, a] = out.resourceSpans[0].scopeSpans[0].spans;
      const attr = (span: any) => Object.fromEntries(span.attributes.map((x: any) => [x.key, Object.values(x.value)[0]]));
      const eventAttr = (span: any) => Object.fromEntries(span.events[0].attributes.map((x: any) => [x.key, Object.values(x.value)[0]]));
      expect(attr(a)['error.type']).toBe('App\\Db\\GoneAway');
      expect(eventAttr(a)).toMatchObject({ 'exception.type': 'App\\Db\\GoneAway', 'exception.message': 'server has gone away', 'code.lineno': '12' });
      expect(a.status).toEqual({ code: 2, message: 'server has gone away' });
      expect(attr(b)['error.type']).toBe('php.fatal_error');
    });
  });

  describe('quiet guard', () => {
    it('swallows warnings without touching error_get_last() or the application handler, and restores it', () => {
      const run = runPhpCode(bin, `
        $calls = 0;
        set_error_handler(function () use (&$calls) { $calls++; return false; });
        $r = Tracekit\\Runtime\\Bootstrap::quietly(function () { $x = []; return $x['missing'] . file_get_contents('/nonexistent/nope'); });
        $t = Tracekit\\Runtime\\Bootstrap::quietly(function () { throw new \\LogicException('inside tracing'); });
        $last = error_get_last();
        $prev = set_error_handler(null);
        echo json_encode(['calls' => $calls, 'last' => $last, 'handlerKept' => $prev instanceof \\Closure, 'r' => $r, 't' => $t]);`);
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toEqual({ calls: 0, last: null, handlerKept: true, r: '', t: null });
    });
  });
});
