<?php
namespace Tracekit\Runtime;

/**
 * OTLP/JSON encoding of an ExportTraceServiceRequest (lowerCamelCase fields,
 * hex ids, integer enums, 64-bit integers as decimal strings). json_encode()
 * is C code: measured in bench/php, it beats a hand-written protobuf encoder
 * in plain PHP by a wide margin for a request's handful of spans.
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
        $encoded = [];
        foreach ($spans as $span) {
            $encoded[] = self::span($span);
        }
        $scope = ['name' => 'tracekit', 'version' => $scopeVersion];
        if ($droppedSpans > 0) {
            $scope['attributes'] = self::attributes(['tracekit.dropped_spans' => $droppedSpans]);
        }
        $request = ['resourceSpans' => [[
            'resource' => ['attributes' => self::attributes($resource)],
            'scopeSpans' => [['scope' => $scope, 'spans' => $encoded]],
        ]]];
        $json = \json_encode($request, self::FLAGS);
        return \is_string($json) ? $json : '';
    }

    /** @return array<string, mixed> */
    private static function span(Span $span): array
    {
        $out = [
            'traceId' => $span->traceId,
            'spanId' => $span->spanId,
            'name' => $span->name,
            'kind' => $span->kind,
            'startTimeUnixNano' => $span->startNanos,
            'endTimeUnixNano' => $span->endNanos === null ? $span->startNanos : $span->endNanos,
            'attributes' => self::attributes($span->attributes),
        ];
        if ($span->parentSpanId !== '') {
            $out['parentSpanId'] = $span->parentSpanId;
        }
        if ($span->traceState !== '') {
            $out['traceState'] = $span->traceState;
        }
        if ($span->events !== []) {
            $events = [];
            foreach ($span->events as $event) {
                $events[] = [
                    'timeUnixNano' => $event['timeNanos'],
                    'name' => $event['name'],
                    'attributes' => self::attributes($event['attributes']),
                ];
            }
            $out['events'] = $events;
        }
        if ($span->statusCode !== Span::STATUS_UNSET) {
            $out['status'] = $span->statusMessage === ''
                ? ['code' => $span->statusCode]
                : ['code' => $span->statusCode, 'message' => $span->statusMessage];
        }
        return $out;
    }

    /**
     * @param array<string, mixed> $attributes
     * @return array<int, array{key: string, value: array<string, mixed>}>
     */
    public static function attributes(array $attributes): array
    {
        $out = [];
        foreach ($attributes as $key => $value) {
            // Most values are strings: no call for them.
            $any = \is_string($value) ? ['stringValue' => $value] : self::anyValue($value);
            if ($any !== null) {
                $out[] = ['key' => (string) $key, 'value' => $any];
            }
        }
        return $out;
    }

    /**
     * @param mixed $value
     * @return array<string, mixed>|null
     */
    private static function anyValue($value)
    {
        if (\is_string($value)) {
            return ['stringValue' => $value];
        }
        if (\is_bool($value)) {
            return ['boolValue' => $value];
        }
        if (\is_int($value)) {
            return ['intValue' => (string) $value];
        }
        if (\is_float($value)) {
            return \is_finite($value) ? ['doubleValue' => $value] : ['stringValue' => (string) $value];
        }
        if (\is_array($value)) {
            $values = [];
            foreach ($value as $item) {
                $any = self::anyValue($item);
                if ($any !== null) {
                    $values[] = $any;
                }
            }
            return ['arrayValue' => ['values' => $values]];
        }
        return null;
    }
}
