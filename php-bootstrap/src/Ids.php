<?php
namespace Tracekit\Runtime;

/** W3C trace and span ids: lowercase hex, never all zeros. */
final class Ids
{
    const HEX = '0123456789abcdef';

    public static function traceId(): string
    {
        do {
            $id = \bin2hex(\random_bytes(16));
        } while ($id === '00000000000000000000000000000000');
        return $id;
    }

    public static function spanId(): string
    {
        do {
            $id = \bin2hex(\random_bytes(8));
        } while ($id === '0000000000000000');
        return $id;
    }

    /** @param mixed $id */
    public static function isValidTraceId($id): bool
    {
        return \is_string($id) && \strlen($id) === 32 && \strspn($id, self::HEX) === 32
            && $id !== '00000000000000000000000000000000';
    }

    /** @param mixed $id */
    public static function isValidSpanId($id): bool
    {
        return \is_string($id) && \strlen($id) === 16 && \strspn($id, self::HEX) === 16
            && $id !== '0000000000000000';
    }
}
