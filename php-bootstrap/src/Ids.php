<?php
namespace Tracekit\Runtime;

/** W3C trace and span ids: lowercase hex, never all zeros. */
final class Ids
{
    const HEX = '0123456789abcdef';

    /** @var string hex digits drawn from random_bytes() and not handed out yet */
    private static $pool = '';
    /** @var int */
    private static $used = 0;
    /** @var int|false the process that drew the pool: a forked child draws its own */
    private static $pid = 0;

    public static function traceId(): string
    {
        do {
            $id = self::hex(32);
        } while ($id === '00000000000000000000000000000000');
        return $id;
    }

    public static function spanId(): string
    {
        do {
            $id = self::hex(16);
        } while ($id === '0000000000000000');
        return $id;
    }

    /**
     * A new trace's id and its first span's, from one slice of the pool: one
     * getmypid() (a system call) instead of two.
     *
     * @return array{0: string, 1: string}
     */
    public static function traceAndSpanId(): array
    {
        do {
            $ids = self::hex(48);
            $traceId = \substr($ids, 0, 32);
            $spanId = \substr($ids, 32);
        } while ($traceId === '00000000000000000000000000000000' || $spanId === '0000000000000000');
        return [$traceId, $spanId];
    }

    /**
     * Random hex digits, each handed out once. One random_bytes() of 64 bytes
     * serves eight span ids: a getrandom() call per id cost ~0.45 µs, a slice
     * ~0.03 µs plus the getmypid() that keeps a fork from reusing the pool
     * (bench/php/span.php).
     */
    private static function hex(int $digits): string
    {
        $pid = \getmypid();
        if (self::$used + $digits > \strlen(self::$pool) || $pid !== self::$pid) {
            self::$pool = \bin2hex(\random_bytes(64));
            self::$used = 0;
            self::$pid = $pid;
        }
        $id = \substr(self::$pool, self::$used, $digits);
        self::$used += $digits;
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
