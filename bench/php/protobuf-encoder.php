<?php
// A hand-written OTLP protobuf encoder in plain PHP, for the encoding
// measurement in encode.php only (tracekit ships the OTLP/JSON encoder).
namespace TracekitBench;

use Tracekit\Runtime\Span;

final class Protobuf
{
    public static function varint(int $n): string
    {
        $out = '';
        while ($n > 0x7f || $n < 0) {
            $out .= \chr(($n & 0x7f) | 0x80);
            $n = ($n >> 7) & 0x01ffffffffffffff;
        }
        return $out . \chr($n);
    }

    private static function bytes(int $field, string $value): string
    {
        return \chr(($field << 3) | 2) . self::varint(\strlen($value)) . $value;
    }

    private static function anyValue($value): string
    {
        if (\is_string($value)) {
            return self::bytes(1, $value);
        }
        if (\is_bool($value)) {
            return "\x10" . ($value ? "\x01" : "\x00");
        }
        if (\is_int($value)) {
            return "\x18" . self::varint($value);
        }
        if (\is_float($value)) {
            return "\x21" . \pack('e', $value);
        }
        if (\is_array($value)) {
            $values = '';
            foreach ($value as $item) {
                $values .= self::bytes(1, self::anyValue($item));
            }
            return self::bytes(5, $values);
        }
        return '';
    }

    private static function attributes(int $field, array $attributes): string
    {
        $out = '';
        foreach ($attributes as $key => $value) {
            $out .= self::bytes($field, self::bytes(1, (string) $key) . self::bytes(2, self::anyValue($value)));
        }
        return $out;
    }

    private static function span(Span $span): string
    {
        $out = self::bytes(1, \hex2bin($span->traceId)) . self::bytes(2, \hex2bin($span->spanId));
        if ($span->traceState !== '') {
            $out .= self::bytes(3, $span->traceState);
        }
        if ($span->parentSpanId !== '') {
            $out .= self::bytes(4, \hex2bin($span->parentSpanId));
        }
        $out .= self::bytes(5, $span->name) . "\x30" . self::varint($span->kind)
            . "\x39" . \pack('P', (int) $span->startNanos) . "\x41" . \pack('P', (int) ($span->endNanos === null ? $span->startNanos : $span->endNanos))
            . self::attributes(9, $span->attributes);
        foreach ($span->events as $event) {
            $out .= self::bytes(11, "\x09" . \pack('P', (int) $event['timeNanos']) . self::bytes(2, $event['name']) . self::attributes(3, $event['attributes']));
        }
        if ($span->statusCode !== 0) {
            $out .= self::bytes(15, ($span->statusMessage !== '' ? self::bytes(2, $span->statusMessage) : '') . "\x18" . self::varint($span->statusCode));
        }
        return $out;
    }

    /** @param Span[] $spans */
    public static function encode(array $spans, array $resource, string $scopeVersion): string
    {
        $encoded = '';
        foreach ($spans as $span) {
            $encoded .= self::bytes(2, self::span($span));
        }
        $scope = self::bytes(1, self::bytes(1, 'tracekit') . self::bytes(2, $scopeVersion)) . $encoded;
        return self::bytes(1, self::bytes(1, self::attributes(1, $resource)) . self::bytes(2, $scope));
    }
}
