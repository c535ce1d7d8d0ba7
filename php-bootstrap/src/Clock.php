<?php
namespace Tracekit\Runtime;

/**
 * Wall-clock timestamps as decimal strings of Unix nanoseconds, which is how
 * OTLP/JSON carries 64-bit integers. Strings keep microsecond precision that a
 * float would lose, and need no hrtime() (PHP 7.3+).
 */
final class Clock
{
    public static function nowNanos(): string
    {
        $parts = \explode(' ', \microtime());
        return $parts[1] . \substr($parts[0], 2, 6) . '000';
    }
}
