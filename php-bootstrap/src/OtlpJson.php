<?php
namespace Tracekit\Runtime;

/**
 * OTLP/JSON encoding of an ExportTraceServiceRequest (lowerCamelCase fields,
 * hex ids, integer enums, 64-bit integers as decimal strings).
 *
 * The structure is written as text, with a `%s` wherever a string goes, and
 * every string of the request is escaped by ONE json_encode() of a flat list:
 * walking nested arrays of {"key": …, "value": {"stringValue": …}} objects
 * made json_encode() escape every object key and PHP build and free two
 * hash tables per attribute — ~66,000 instructions for a one-span request
 * (callgrind) against ~20,000 this way. JSON_HEX_QUOT writes a quote inside
 * a string as \u0022, so the only raw quotes in that list are delimiters and
 * splitting it on `","` is exact; vsprintf() then fills the `%s` slots (the
 * format's own text has no other `%`: every string goes through a slot).
 * Still C code for all escaping: measured in bench/php, it beats a
 * hand-written protobuf encoder in plain PHP by a wide margin.
 */
final class OtlpJson
{
    const FLAGS = \JSON_UNESCAPED_SLASHES | \JSON_UNESCAPED_UNICODE | \JSON_INVALID_UTF8_SUBSTITUTE | \JSON_PARTIAL_OUTPUT_ON_ERROR | \JSON_PRESERVE_ZERO_FRACTION;

    /**
     * Attribute keys the runtime and the hooks set, written into the JSON as
     * they are (no quote, backslash, control byte or %): about half of a
     * request's strings need no escaping then. Any other key is escaped.
     */
    const PLAIN_KEYS = [
        'service.name' => true, 'host.name' => true, 'process.pid' => true, 'process.command' => true,
        'process.runtime.name' => true, 'process.runtime.version' => true,
        'telemetry.sdk.name' => true, 'telemetry.sdk.language' => true, 'telemetry.sdk.version' => true,
        'http.request.method' => true, 'http.request.method_original' => true, 'http.route' => true,
        'http.response.status_code' => true, 'url.path' => true, 'url.query' => true, 'url.scheme' => true,
        'server.address' => true, 'server.port' => true, 'client.address' => true, 'user_agent.original' => true,
        'network.protocol.version' => true, 'error.type' => true,
        'db.system.name' => true, 'db.namespace' => true, 'db.operation.name' => true, 'db.query.text' => true,
        'db.response.status_code' => true,
        'exception.type' => true, 'exception.message' => true, 'exception.stacktrace' => true, 'exception.escaped' => true,
        'code.filepath' => true, 'code.lineno' => true,
    ];

    /**
     * @param Span[] $spans
     * @param array<string, mixed> $resource
     */
    public static function encode(array $spans, array $resource, string $scopeVersion, int $droppedSpans = 0): string
    {
        // The format is collected in pieces and joined once (appending to one growing string
        // reallocated and copied it again and again); $strings[i] fills the i-th %s of the joined
        // format: append to both in the same order, and only strings.
        $format = ['{"resourceSpans":[{"resource":{"attributes":['];
        $strings = [];
        self::attributes($resource, $format, $strings);
        $format[] = ']},"scopeSpans":[{"scope":{"name":"tracekit","version":"%s"';
        $strings[] = $scopeVersion;
        if ($droppedSpans > 0) {
            $format[] = ',"attributes":[{"key":"tracekit.dropped_spans","value":{"intValue":"' . $droppedSpans . '"}}]';
        }
        $format[] = '},"spans":[';
        $comma = '';
        foreach ($spans as $span) {
            $strings[] = (string) $span->traceId;
            $strings[] = (string) $span->spanId;
            $strings[] = (string) $span->name;
            $strings[] = (string) $span->startNanos;
            $strings[] = (string) ($span->endNanos === null ? $span->startNanos : $span->endNanos);
            $format[] = $comma . '{"traceId":"%s","spanId":"%s","name":"%s","kind":' . (int) $span->kind
                . ',"startTimeUnixNano":"%s","endTimeUnixNano":"%s","attributes":[';
            $comma = ',';
            self::attributes($span->attributes, $format, $strings);
            $format[] = ']';
            if ($span->parentSpanId !== '') {
                $format[] = ',"parentSpanId":"%s"';
                $strings[] = (string) $span->parentSpanId;
            }
            if ($span->traceState !== '') {
                $format[] = ',"traceState":"%s"';
                $strings[] = (string) $span->traceState;
            }
            if ($span->events !== []) {
                $format[] = ',"events":[';
                $eventComma = '';
                foreach ($span->events as $event) {
                    $strings[] = (string) $event['timeNanos'];
                    $strings[] = (string) $event['name'];
                    $format[] = $eventComma . '{"timeUnixNano":"%s","name":"%s","attributes":[';
                    $eventComma = ',';
                    self::attributes($event['attributes'], $format, $strings);
                    $format[] = ']}';
                }
                $format[] = ']';
            }
            if ($span->statusCode !== Span::STATUS_UNSET) {
                $format[] = ',"status":{"code":' . (int) $span->statusCode;
                if ($span->statusMessage !== '') {
                    $format[] = ',"message":"%s"';
                    $strings[] = (string) $span->statusMessage;
                }
                $format[] = '}';
            }
            $format[] = '}';
        }
        $format[] = ']}]}]}';

        $escaped = \json_encode($strings, self::FLAGS | \JSON_HEX_QUOT);
        if (!\is_string($escaped)) {
            return '';
        }
        // ["a","b"] without its outer [" and "]; a request always has at least the scope's version.
        $parts = \explode('","', \substr($escaped, 2, -2));
        return \count($parts) === \count($strings) ? \vsprintf(\implode('', $format), $parts) : '';
    }

    /**
     * Appends the attribute list's JSON (without brackets) to $format, its strings to $strings.
     *
     * @param array<string, mixed> $attributes
     * @param string[] $format
     * @param string[] $strings
     */
    private static function attributes(array $attributes, array &$format, array &$strings): void
    {
        $comma = '';
        foreach ($attributes as $key => $value) {
            // Most values are strings and most keys plain: no call for them.
            if (\is_string($value)) {
                if (isset(self::PLAIN_KEYS[$key])) {
                    $strings[] = $value;
                    $format[] = $comma . '{"key":"' . $key . '","value":{"stringValue":"%s"}}';
                } else {
                    $strings[] = (string) $key;
                    $strings[] = $value;
                    $format[] = $comma . '{"key":"%s","value":{"stringValue":"%s"}}';
                }
                $comma = ',';
            } elseif (\is_int($value) || \is_bool($value) || \is_float($value) || \is_array($value)) {
                if (isset(self::PLAIN_KEYS[$key])) {
                    $name = $key;
                } else {
                    $strings[] = (string) $key;
                    $name = '%s';
                }
                $format[] = $comma . '{"key":"' . $name . '","value":' . self::anyValue($value, $strings) . '}';
                $comma = ',';
            }
        }
    }

    /**
     * An AnyValue for a value attributes() accepts, '' for anything else.
     *
     * @param mixed $value
     * @param string[] $strings
     */
    private static function anyValue($value, array &$strings): string
    {
        if (\is_string($value)) {
            $strings[] = $value;
            return '{"stringValue":"%s"}';
        }
        if (\is_bool($value)) {
            return $value ? '{"boolValue":true}' : '{"boolValue":false}';
        }
        if (\is_int($value)) {
            return '{"intValue":"' . $value . '"}';
        }
        if (\is_float($value)) {
            if (\is_finite($value)) {
                return '{"doubleValue":' . \json_encode($value, self::FLAGS) . '}';
            }
            $strings[] = (string) $value;
            return '{"stringValue":"%s"}';
        }
        if (\is_array($value)) {
            $values = '';
            foreach ($value as $item) {
                $any = self::anyValue($item, $strings);
                if ($any !== '') {
                    $values .= ',' . $any;
                }
            }
            return '{"arrayValue":{"values":[' . ($values === '' ? '' : (string) \substr($values, 1)) . ']}}';
        }
        return '';
    }
}
