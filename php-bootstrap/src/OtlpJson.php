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
     * @param Span[] $spans
     * @param array<string, mixed> $resource
     */
    public static function encode(array $spans, array $resource, string $scopeVersion, int $droppedSpans = 0): string
    {
        // $strings[i] fills the i-th %s of $format: append to both in the same order, and only strings.
        $strings = [];
        $format = '{"resourceSpans":[{"resource":{"attributes":[' . self::attributes($resource, $strings)
            . ']},"scopeSpans":[{"scope":{"name":"tracekit","version":"%s"';
        $strings[] = $scopeVersion;
        if ($droppedSpans > 0) {
            $format .= ',"attributes":[{"key":"tracekit.dropped_spans","value":{"intValue":"' . $droppedSpans . '"}}]';
        }
        $format .= '},"spans":[';
        $comma = '';
        foreach ($spans as $span) {
            $strings[] = (string) $span->traceId;
            $strings[] = (string) $span->spanId;
            $strings[] = (string) $span->name;
            $strings[] = (string) $span->startNanos;
            $strings[] = (string) ($span->endNanos === null ? $span->startNanos : $span->endNanos);
            $format .= $comma . '{"traceId":"%s","spanId":"%s","name":"%s","kind":' . (int) $span->kind
                . ',"startTimeUnixNano":"%s","endTimeUnixNano":"%s","attributes":[' . self::attributes($span->attributes, $strings) . ']';
            $comma = ',';
            if ($span->parentSpanId !== '') {
                $format .= ',"parentSpanId":"%s"';
                $strings[] = (string) $span->parentSpanId;
            }
            if ($span->traceState !== '') {
                $format .= ',"traceState":"%s"';
                $strings[] = (string) $span->traceState;
            }
            if ($span->events !== []) {
                $format .= ',"events":[';
                $eventComma = '';
                foreach ($span->events as $event) {
                    $strings[] = (string) $event['timeNanos'];
                    $strings[] = (string) $event['name'];
                    $format .= $eventComma . '{"timeUnixNano":"%s","name":"%s","attributes":[' . self::attributes($event['attributes'], $strings) . ']}';
                    $eventComma = ',';
                }
                $format .= ']';
            }
            if ($span->statusCode !== Span::STATUS_UNSET) {
                $format .= ',"status":{"code":' . (int) $span->statusCode;
                if ($span->statusMessage !== '') {
                    $format .= ',"message":"%s"';
                    $strings[] = (string) $span->statusMessage;
                }
                $format .= '}';
            }
            $format .= '}';
        }
        $format .= ']}]}]}';

        $escaped = \json_encode($strings, self::FLAGS | \JSON_HEX_QUOT);
        if (!\is_string($escaped)) {
            return '';
        }
        // ["a","b"] without its outer [" and "]; a request always has at least the scope's version.
        $parts = \explode('","', \substr($escaped, 2, -2));
        return \count($parts) === \count($strings) ? \vsprintf($format, $parts) : '';
    }

    /**
     * The attribute list's JSON (without brackets), its strings appended to $strings.
     *
     * @param array<string, mixed> $attributes
     * @param string[] $strings
     */
    private static function attributes(array $attributes, array &$strings): string
    {
        $out = '';
        foreach ($attributes as $key => $value) {
            // Most values are strings: no call for them.
            if (\is_string($value)) {
                $strings[] = (string) $key;
                $strings[] = $value;
                $out .= ',{"key":"%s","value":{"stringValue":"%s"}}';
            } elseif (\is_int($value) || \is_bool($value) || \is_float($value) || \is_array($value)) {
                $strings[] = (string) $key;
                $out .= ',{"key":"%s","value":' . self::anyValue($value, $strings) . '}';
            }
        }
        return $out === '' ? '' : (string) \substr($out, 1);
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
