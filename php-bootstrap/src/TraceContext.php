<?php
namespace Tracekit\Runtime;

/**
 * A remote parent taken from W3C Trace Context headers. Parsing never uses
 * preg_* so that preg_last_error() stays as the application left it.
 */
final class TraceContext
{
    /** @var string */
    public $traceId;
    /** @var string */
    public $spanId;
    /** @var bool */
    public $sampled;
    /** @var string */
    public $traceState;

    public function __construct(string $traceId, string $spanId, bool $sampled, string $traceState)
    {
        $this->traceId = $traceId;
        $this->spanId = $spanId;
        $this->sampled = $sampled;
        $this->traceState = $traceState;
    }

    /**
     * @param mixed $traceparent
     * @param mixed $tracestate
     */
    public static function fromHeaders($traceparent, $tracestate): ?self
    {
        if (!\is_string($traceparent)) {
            return null;
        }
        $value = \trim($traceparent, " \t");
        $length = \strlen($value);
        if ($length < 55 || $value[2] !== '-' || $value[35] !== '-' || $value[52] !== '-') {
            return null;
        }
        $version = \substr($value, 0, 2);
        if (\strspn($version, Ids::HEX) !== 2 || $version === 'ff') {
            return null;
        }
        // Version 00 is exactly 55 characters; later versions may append fields after a dash.
        if ($version === '00' ? $length !== 55 : ($length > 55 && $value[55] !== '-')) {
            return null;
        }
        $traceId = \substr($value, 3, 32);
        $spanId = \substr($value, 36, 16);
        $flags = \substr($value, 53, 2);
        if (!Ids::isValidTraceId($traceId) || !Ids::isValidSpanId($spanId) || \strspn($flags, Ids::HEX) !== 2) {
            return null;
        }
        return new self($traceId, $spanId, (\hexdec($flags) & 1) === 1, self::sanitizeTracestate($tracestate));
    }

    public static function format(string $traceId, string $spanId, bool $sampled): string
    {
        return '00-' . $traceId . '-' . $spanId . ($sampled ? '-01' : '-00');
    }

    /**
     * Keeps a tracestate header only when it is plausibly well formed: at most
     * 32 list members, 512 characters, printable ASCII, each member key=value.
     *
     * @param mixed $value
     */
    public static function sanitizeTracestate($value): string
    {
        if (!\is_string($value) || $value === '' || \strlen($value) > 512) {
            return '';
        }
        $members = [];
        foreach (\explode(',', $value) as $member) {
            $member = \trim($member, " \t");
            if ($member === '') {
                continue;
            }
            $eq = \strpos($member, '=');
            if ($eq === false || $eq === 0 || $eq === \strlen($member) - 1) {
                return '';
            }
            for ($i = 0, $n = \strlen($member); $i < $n; $i++) {
                $c = \ord($member[$i]);
                if ($c < 0x20 || $c > 0x7e) {
                    return '';
                }
            }
            $members[] = $member;
        }
        if (\count($members) > 32) {
            return '';
        }
        return \implode(',', $members);
    }
}
