<?php
namespace Tracekit\Runtime;

/**
 * The OTEL_TRACES_SAMPLER choices. The ratio decision reads the trace id's
 * last 56 bits, so every service sampling the same trace at the same ratio
 * agrees, and no PRNG state the application may rely on (mt_rand) is touched.
 */
final class Sampler
{
    const NAMES = [
        'always_on', 'always_off', 'traceidratio',
        'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio',
    ];

    public static function shouldSample(string $sampler, float $ratio, string $traceId, ?TraceContext $parent): bool
    {
        $parentBased = \strncmp($sampler, 'parentbased_', 12) === 0;
        if ($parentBased && $parent !== null) {
            return $parent->sampled;
        }
        $root = $parentBased ? \substr($sampler, 12) : $sampler;
        if ($root === 'always_on') {
            return true;
        }
        if ($root === 'always_off') {
            return false;
        }
        return self::ratioSamples($ratio, $traceId);
    }

    public static function ratioSamples(float $ratio, string $traceId): bool
    {
        if ($ratio >= 1.0) {
            return true;
        }
        if ($ratio <= 0.0) {
            return false;
        }
        // 2^56 fits in a 64-bit PHP int; on 32-bit PHP hexdec returns a float, which compares the same way.
        $value = \hexdec(\substr($traceId, 18, 14));
        return $value < $ratio * 72057594037927936.0;
    }
}
