<?php
namespace Tracekit\Runtime;

/**
 * Wall-clock timestamps as decimal strings of Unix nanoseconds, which is how
 * OTLP/JSON carries 64-bit integers. The wall clock is read once per request
 * (microtime(true), to the microsecond); after that, time moves on with
 * hrtime(), the monotonic clock: one addition instead of splitting
 * microtime()'s string (0.07 against 0.30 µs measured in bench/php/span.php),
 * and spans of one request never run backwards when NTP steps the wall
 * clock. PHP 7.2 (no hrtime()) and 32-bit builds keep the string path.
 */
final class Clock
{
    /** @var int|null wall-clock nanoseconds minus hrtime(true) at the same moment; null before the first call */
    private static $offset = null;
    /** @var bool */
    private static $monotonic = true;

    public static function nowNanos(): string
    {
        if (self::$offset !== null) {
            return (string) (self::$offset + \hrtime(true));
        }
        if (self::$monotonic && \PHP_INT_SIZE >= 8 && \PHP_VERSION_ID >= 70300) {
            // microtime(true) is a double: at today's ~1.7e9 s its step is ~0.24 µs, so rounding
            // to the microsecond is exact and skips splitting microtime()'s string.
            $hr = \hrtime(true);
            self::$offset = (int) (\microtime(true) * 1000000.0 + 0.5) * 1000 - $hr;
            return (string) (self::$offset + $hr);
        }
        self::$monotonic = false;
        $parts = \explode(' ', \microtime());
        return $parts[1] . \substr($parts[0], 2, 6) . '000';
    }
}
