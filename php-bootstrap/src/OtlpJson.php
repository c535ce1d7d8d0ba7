<?php
namespace Tracekit\Runtime;

/**
 * OTLP/JSON encoding of an ExportTraceServiceRequest (lowerCamelCase fields,
 * hex ids, integer enums, 64-bit integers as decimal strings).
 *
 * Nearly every string of a request (attribute values, span names) is plain
 * ASCII with no quote, backslash or control byte, and nearly every key is
 * one the runtime and the hooks set: then the JSON is the strings as they
 * are. So the request is written that way first, each string that needs
 * checking is also appended to one check string, and ONE json_encode() of
 * it tells whether any needed escaping: without JSON_UNESCAPED_UNICODE it
 * writes every non-ASCII character (and substitutes invalid UTF-8) as
 * \uXXXX and escapes quotes, backslashes and control bytes, so the output
 * is exactly two bytes longer than its input only when nothing needed
 * escaping. If anything did, the request is written again with every string
 * through json_encode(). Escaping each string, or all of them in one list
 * that is then split and filled into a template, cost 40,000–50,000
 * instructions for a one-span request with its resource (callgrind); the
 * plain path costs a fraction of that.
 */
final class OtlpJson
{
    const FLAGS = \JSON_UNESCAPED_SLASHES | \JSON_UNESCAPED_UNICODE | \JSON_INVALID_UTF8_SUBSTITUTE | \JSON_PARTIAL_OUTPUT_ON_ERROR | \JSON_PRESERVE_ZERO_FRACTION;
    /** The check: everything but `/` that could need escaping comes out longer. */
    const CHECK_FLAGS = \JSON_UNESCAPED_SLASHES | \JSON_INVALID_UTF8_SUBSTITUTE;

    /**
     * Attribute keys the runtime and the hooks set: plain ASCII, written as
     * they are without being checked. Any other key is checked.
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
        $check = '';
        $body = self::body(false, $check, $spans, null, $resource, $scopeVersion, $droppedSpans);
        $checked = \json_encode($check, self::CHECK_FLAGS);
        if (\is_string($checked) && \strlen($checked) === \strlen($check) + 2) {
            return $body;
        }
        return self::body(true, $check, $spans, null, $resource, $scopeVersion, $droppedSpans);
    }

    /**
     * The request for this process's resource (ResourceInfo) and $config's version.
     *
     * @param Span[] $spans
     */
    public static function request(array $spans, Config $config, int $droppedSpans = 0): string
    {
        // encode()'s steps written out again: a call less on the request path.
        $check = '';
        $body = self::body(false, $check, $spans, $config, [], $config->version, $droppedSpans);
        $checked = \json_encode($check, self::CHECK_FLAGS);
        if (\is_string($checked) && \strlen($checked) === \strlen($check) + 2) {
            return $body;
        }
        return self::body(true, $check, $spans, $config, [], $config->version, $droppedSpans);
    }

    /**
     * The request's JSON. With $escape false every string is written as it is
     * and appended to $check; with $escape true every string is escaped.
     *
     * @param Span[] $spans
     * @param array<string, mixed> $resource
     */
    private static function body(bool $escape, string &$check, array $spans, ?Config $config, array $resource, string $scopeVersion, int $droppedSpans): string
    {
        $resourceJson = $config === null ? null : ($escape ? null : ResourceInfo::json($config, $check));
        if ($resourceJson === null) {
            $resourceJson = self::attributes($config === null ? $resource : ResourceInfo::attributes($config), $escape, $check);
        }
        if ($escape) {
            $scope = (string) \json_encode($scopeVersion, self::FLAGS);
        } else {
            $check .= $scopeVersion;
            $scope = "\"{$scopeVersion}\"";
        }
        $parts = [];
        $parts[] = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{$resourceJson}]},\"scopeSpans\":[{\"scope\":{\"name\":\"tracekit\",\"version\":{$scope}"
            . ($droppedSpans > 0 ? ",\"attributes\":[{\"key\":\"tracekit.dropped_spans\",\"value\":{\"intValue\":\"{$droppedSpans}\"}}]" : '')
            . '},"spans":[';
        $comma = '';
        foreach ($spans as $span) {
            // Ids are validated hex and timestamps decimal digits (Span and Tracer see to it): never escaped.
            if ($escape) {
                $name = (string) \json_encode((string) $span->name, self::FLAGS);
            } else {
                $name = (string) $span->name;
                $check .= $name;
                $name = "\"{$name}\"";
            }
            $kind = (int) $span->kind;
            $end = $span->endNanos === null ? $span->startNanos : $span->endNanos;
            $attributes = self::attributes($span->attributes, $escape, $check);
            $parts[] = "{$comma}{\"traceId\":\"{$span->traceId}\",\"spanId\":\"{$span->spanId}\",\"name\":{$name},\"kind\":{$kind},"
                . "\"startTimeUnixNano\":\"{$span->startNanos}\",\"endTimeUnixNano\":\"{$end}\",\"attributes\":[{$attributes}]";
            $comma = ',';
            if ($span->parentSpanId !== '') {
                $parts[] = ",\"parentSpanId\":\"{$span->parentSpanId}\"";
            }
            if ($span->traceState !== '') {
                $parts[] = ',"traceState":' . self::text((string) $span->traceState, $escape, $check);
            }
            if ($span->events !== []) {
                $events = [];
                foreach ($span->events as $event) {
                    $events[] = '{"timeUnixNano":"' . $event['timeNanos'] . '","name":' . self::text((string) $event['name'], $escape, $check)
                        . ',"attributes":[' . self::attributes($event['attributes'], $escape, $check) . ']}';
                }
                $parts[] = ',"events":[' . \implode(',', $events) . ']';
            }
            if ($span->statusCode !== Span::STATUS_UNSET) {
                $parts[] = ',"status":{"code":' . (int) $span->statusCode
                    . ($span->statusMessage !== '' ? ',"message":' . self::text((string) $span->statusMessage, $escape, $check) : '') . '}';
            }
            $parts[] = '}';
        }
        $parts[] = ']}]}]}';
        return \implode('', $parts);
    }

    /** A JSON string: as it is (and appended to $check), or escaped. */
    private static function text(string $value, bool $escape, string &$check): string
    {
        if ($escape) {
            return (string) \json_encode($value, self::FLAGS);
        }
        $check .= $value;
        return "\"{$value}\"";
    }

    /**
     * The attribute list's JSON, without its brackets.
     *
     * @param array<string, mixed> $attributes
     */
    private static function attributes(array $attributes, bool $escape, string &$check): string
    {
        if ($escape) {
            return self::escapedAttributes($attributes);
        }
        $list = [];
        foreach ($attributes as $key => $value) {
            // The common attribute (a plain key and a string or an integer) takes no call at all.
            // Interpolation compiles to one allocation; a chain of `.` reallocates at every step.
            if (isset(self::PLAIN_KEYS[$key])) {
                if (\is_string($value)) {
                    $check .= $value;
                    $list[] = "{\"key\":\"{$key}\",\"value\":{\"stringValue\":\"{$value}\"}}";
                    continue;
                }
                if (\is_int($value)) {
                    $list[] = "{\"key\":\"{$key}\",\"value\":{\"intValue\":\"{$value}\"}}";
                    continue;
                }
                $name = "\"{$key}\"";
            } else {
                $check .= $key;
                $name = "\"{$key}\"";
            }
            $any = self::anyValue($value, false, $check);
            if ($any !== '') {
                $list[] = "{\"key\":{$name},\"value\":{$any}}";
            }
        }
        return \implode(',', $list);
    }

    /**
     * The same with every key and string escaped.
     *
     * @param array<string, mixed> $attributes
     */
    private static function escapedAttributes(array $attributes): string
    {
        $list = [];
        $check = '';
        foreach ($attributes as $key => $value) {
            $any = self::anyValue($value, true, $check);
            if ($any !== '') {
                $list[] = '{"key":' . \json_encode((string) $key, self::FLAGS) . ',"value":' . $any . '}';
            }
        }
        return \implode(',', $list);
    }

    /**
     * An AnyValue for a value attributes() accepts, '' for anything else.
     *
     * @param mixed $value
     */
    private static function anyValue($value, bool $escape, string &$check): string
    {
        if (\is_string($value)) {
            return '{"stringValue":' . self::text($value, $escape, $check) . '}';
        }
        if (\is_int($value)) {
            return "{\"intValue\":\"{$value}\"}";
        }
        if (\is_bool($value)) {
            return $value ? '{"boolValue":true}' : '{"boolValue":false}';
        }
        if (\is_float($value)) {
            if (\is_finite($value)) {
                return '{"doubleValue":' . \json_encode($value, self::FLAGS) . '}';
            }
            return '{"stringValue":"' . $value . '"}';
        }
        if (\is_array($value)) {
            $values = [];
            foreach ($value as $item) {
                $any = self::anyValue($item, $escape, $check);
                if ($any !== '') {
                    $values[] = $any;
                }
            }
            return '{"arrayValue":{"values":[' . \implode(',', $values) . ']}}';
        }
        return '';
    }
}
