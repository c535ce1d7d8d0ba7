<?php
namespace Tracekit\Runtime;

/**
 * Wall-clock timestamps as decimal strings of Unix nanoseconds, which is how
 * OTLP/JSON carries 64-bit integers. The wall clock is read once per request
 * (microtime(), microsecond precision kept as a string); after that, time
 * moves on with hrtime(), the monotonic clock: one addition instead of
 * splitting microtime()'s string (0.07 against 0.30 µs measured in
 * bench/php/span.php), and spans of one request never run backwards when NTP
 * steps the wall clock. PHP 7.2 (no hrtime()) and 32-bit builds keep the
 * microtime() path.
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
        $parts = \explode(' ', \microtime());
        $wall = $parts[1] . \substr($parts[0], 2, 6) . '000';
        if (self::$monotonic) {
            self::$monotonic = false;
            if (\PHP_INT_SIZE >= 8 && \function_exists('hrtime')) {
                $hr = \hrtime(true);
                if (\is_int($hr)) {
                    self::$offset = (int) $wall - $hr;
                    self::$monotonic = true;
                }
            }
        }
        return $wall;
    }
}
