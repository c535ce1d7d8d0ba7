import { describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/require-tool.js';
import { phpJson } from '../php/php-cli.js';

const php = requireTool('php', ['/usr/bin/php']);

/**
 * The runtime's cheap client calls (Tracer::beginCall/endCall), which the
 * mysqli/PDO hooks use for every query: recorded compactly, made into Spans by
 * takeFinished(), and made into a real Span on the stack as soon as anything
 * could see the call as the current span.
 */
describe.skipIf(php === null)('Tracer client calls (php-cli)', () => {
  const bin = php as string;
  const prelude = `
    use Tracekit\\Runtime\\Config;
    use Tracekit\\Runtime\\Span;
    use Tracekit\\Runtime\\TraceContext;
    use Tracekit\\Runtime\\Tracer;
    function activate(array $env = [], $remote = null) {
        Tracer::activate(Config::resolve(['serviceName' => 'unit'], function ($n) use ($env) { return isset($env[$n]) ? $env[$n] : false; }), $remote);
    }
    function out(Span $s) {
        return ['name' => $s->name, 'kind' => $s->kind, 'traceId' => $s->traceId, 'spanId' => $s->spanId, 'parent' => $s->parentSpanId,
            'start' => $s->startNanos, 'end' => $s->endNanos, 'attrs' => $s->attributes, 'status' => $s->statusCode, 'sampled' => $s->sampled,
            'events' => array_map(function ($e) { return $e['name']; }, $s->events)];
    }
    function taken() { return array_map('out', Tracer::takeFinished()); }
    $tpl = Tracer::clientTemplate('SELECT shop', ['db.system.name' => 'mysql', 'db.query.text' => 'SELECT ?', 'server.port' => 3306]);
  `;
  const run = <T>(code: string): T => phpJson<T>(bin, prelude + code);

  it('a call becomes a CLIENT span of the current span at export: its own id, the template, start ≤ end inside the parent', () => {
    const out = run<{ spans: any[]; root: string; trace: string }>(`
      activate();
      $root = Tracer::startSpan('root', Span::KIND_SERVER);
      $before = Tracer::startSpan('before'); $before->end();
      $a = Tracer::beginCall($tpl);
      usleep(1000);
      Tracer::endCall($a);
      $b = Tracer::beginCall($tpl);
      Tracer::endCall($b);
      $root->end();
      echo json_encode(['spans' => taken(), 'root' => $root->spanId, 'trace' => $root->traceId, 'tokens' => [$a, $b]]);`);
    const [before, a, b, root] = out.spans;
    expect(out.spans.map((s) => s.name)).toEqual(['before', 'SELECT shop', 'SELECT shop', 'root']);
    for (const s of [a, b]) {
      expect(s).toMatchObject({ kind: 3, traceId: out.trace, parent: out.root, status: 0, sampled: true, attrs: { 'db.system.name': 'mysql', 'db.query.text': 'SELECT ?', 'server.port': 3306 } });
      expect(s.spanId).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
      expect(s.start).toMatch(/^\d{19}$/);
      expect(BigInt(s.start) <= BigInt(s.end)).toBe(true);
      expect(BigInt(s.start) >= BigInt(before.end)).toBe(true);
      expect(BigInt(s.end) <= BigInt(root.end)).toBe(true);
    }
    // usleep(1000) inside the first call: its duration covers it, on the same clock as the other spans.
    expect(BigInt(a.end) - BigInt(a.start) >= 1_000_000n).toBe(true);
    expect(BigInt(b.start) >= BigInt(a.end)).toBe(true);
    expect(new Set(out.spans.map((s) => s.spanId)).size).toBe(4);
  });

  it('clientTemplate keeps attributes exactly as startSpan() does (cut, filtered, ignored)', () => {
    const out = run<{ template: any; span: any }>(`
      activate(['OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT' => '16']);
      $attrs = ['long' => str_repeat('x', 40), 'list' => ['a', 1, null, ['nested'], true], 'null' => null, '' => 'empty key', 'obj' => new stdClass(), 'f' => 1.5];
      $t = Tracer::clientTemplate('n', $attrs);
      $s = Tracer::startSpan('n', Span::KIND_CLIENT, $attrs);
      echo json_encode(['template' => $t, 'span' => $s->attributes]);`);
    expect(out.template[0]).toBe('n');
    expect(out.template[1]).toEqual(out.span);
    expect(out.span).toEqual({ long: 'x'.repeat(16), list: ['a', 1, true], f: 1.5 });
  });

  it('a span started while a call is in flight (an error handler) is its child; the call keeps its own end', () => {
    const out = run<{ spans: any[]; traceparent: string }>(`
      activate();
      $root = Tracer::startSpan('root', Span::KIND_SERVER);
      $a = Tracer::beginCall($tpl);
      $inner = Tracer::startSpan('inside the call');
      $inner->end();
      Tracer::endCall($a);
      $after = Tracer::startSpan('after');
      $after->end();
      echo json_encode(['spans' => taken(), 'traceparent' => Tracer::traceparent()]);`);
    const [inner, call, after] = out.spans;
    expect(out.spans.map((s) => s.name)).toEqual(['inside the call', 'SELECT shop', 'after']);
    expect(inner.parent).toBe(call.spanId);
    expect(after.parent).toBe(call.parent);
    expect(call.attrs['db.query.text']).toBe('SELECT ?');
    expect(BigInt(call.end) >= BigInt(inner.end)).toBe(true);
    // The call is off the stack again: the current span is the root.
    expect(out.traceparent).toBe(`00-${call.traceId}-${call.parent}-01`);
  });

  it('traceparent() during a call names the call, which is then exported with that id; so does a nested call', () => {
    const out = run<{ spans: any[]; during: string }>(`
      activate();
      $root = Tracer::startSpan('root', Span::KIND_SERVER);
      $a = Tracer::beginCall($tpl);
      $during = Tracer::traceparent();
      $b = Tracer::beginCall(Tracer::clientTemplate('INSERT shop', []));
      Tracer::endCall($b);
      Tracer::endCall($a);
      echo json_encode(['spans' => taken(), 'during' => $during]);`);
    const [nested, outer] = out.spans;
    expect(out.spans.map((s) => s.name)).toEqual(['INSERT shop', 'SELECT shop']);
    expect(out.during).toBe(`00-${outer.traceId}-${outer.spanId}-01`);
    expect(nested.parent).toBe(outer.spanId);
  });

  it('callSpan() hands the call over as a Span to mark failed; it is exported once, with its error', () => {
    const out = run<{ spans: any[]; again: boolean }>(`
      activate();
      $root = Tracer::startSpan('root', Span::KIND_SERVER);
      $a = Tracer::beginCall($tpl);
      $span = Tracer::callSpan($a);
      $span->recordError('1146', 'no such table');
      $span->end();
      Tracer::endCall($a);
      $again = Tracer::callSpan($a) === null;
      echo json_encode(['spans' => taken(), 'again' => $again]);`);
    expect(out.spans).toHaveLength(1);
    expect(out.spans[0]).toMatchObject({ name: 'SELECT shop', status: 2, attrs: { 'error.type': '1146', 'db.query.text': 'SELECT ?' } });
    expect(out.again).toBe(true);
  });

  it('no current span, an unsampled parent, a full span buffer: nothing recorded beyond the rules, drops counted', () => {
    const out = run<any>(`
      activate();
      $none = Tracer::beginCall($tpl);
      $remote = TraceContext::fromHeaders('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00', null);
      activate([], $remote);
      $root = Tracer::startSpan('unsampled root', Span::KIND_SERVER);
      Tracer::endCall(Tracer::beginCall($tpl));
      $unsampled = [count(Tracer::takeFinished()), Tracer::droppedSpans()];
      activate(['TRACEKIT_MAX_SPANS' => '3']);
      $root = Tracer::startSpan('root', Span::KIND_SERVER);
      for ($i = 0; $i < 5; $i++) { Tracer::endCall(Tracer::beginCall($tpl)); }
      Tracer::endCall(12345);
      $full = [count(Tracer::takeFinished()), Tracer::droppedSpans()];
      echo json_encode(['none' => $none, 'unsampled' => $unsampled, 'full' => $full]);`);
    expect(out).toEqual({ none: 0, unsampled: [0, 0], full: [3, 2] });
  });

  it('endAll() at shutdown ends a call still in flight (a fatal error inside a query)', () => {
    const out = run<any[]>(`
      activate();
      $root = Tracer::startSpan('root', Span::KIND_SERVER);
      $a = Tracer::beginCall($tpl);
      Tracer::endAll();
      Tracer::endCall($a);
      echo json_encode(taken());`);
    expect(out.map((s) => s.name)).toEqual(['SELECT shop', 'root']);
    expect(out[0].parent).toBe(out[1].spanId);
    expect(out[0].end).not.toBeNull();
  });
});
