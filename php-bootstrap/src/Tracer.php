<?php
namespace Tracekit\Runtime;

/**
 * The per-request tracer: the current-span stack, the spans finished so far,
 * and the small API that instrumentation (mysqli/PDO hooks, outgoing calls)
 * builds on. Everything is static because a PHP request is one process-wide
 * unit of work and nothing may be added to the application's globals.
 *
 * Instrumentation should check `\class_exists('Tracekit\Runtime\Tracer', false)`
 * first: when the runtime did not load, nothing here exists.
 */
final class Tracer
{
    /** @var Config|null */
    private static $config = null;
    /** @var Span[] */
    private static $stack = [];
    /** @var Span[] */
    private static $finished = [];
    /** @var int */
    private static $dropped = 0;
    /** @var Span|null */
    private static $root = null;
    /** @var TraceContext|null */
    private static $remoteParent = null;

    public static function activate(Config $config, ?TraceContext $remoteParent): void
    {
        self::$config = $config;
        self::$remoteParent = $remoteParent;
        self::$stack = [];
        self::$finished = [];
        self::$dropped = 0;
        self::$root = null;
    }

    public static function isActive(): bool
    {
        return self::$config !== null;
    }

    public static function config(): ?Config
    {
        return self::$config;
    }

    /**
     * Starts a span as a child of the current one (or of the remote parent, or
     * as a new trace) and makes it current. Never throws: when tracing is not
     * active it returns a span that records nothing.
     *
     * @param array<string, mixed> $attributes
     */
    public static function startSpan(string $name, int $kind = Span::KIND_INTERNAL, array $attributes = [], ?string $startNanos = null): Span
    {
        $start = $startNanos === null ? Clock::nowNanos() : $startNanos;
        $config = self::$config;
        if ($config === null) {
            return new Span('00000000000000000000000000000000', '0000000000000000', '', '', false, $name, $kind, $start);
        }
        $n = \count(self::$stack);
        $parent = $n === 0 ? null : self::$stack[$n - 1];
        try {
            $spanId = Ids::spanId();
            if ($parent !== null) {
                $span = new Span($parent->traceId, $spanId, $parent->spanId, $parent->traceState, $parent->sampled, $name, $kind, $start);
            } elseif (self::$remoteParent !== null) {
                $remote = self::$remoteParent;
                $sampled = Sampler::shouldSample($config->sampler, $config->samplerRatio, $remote->traceId, $remote);
                $span = new Span($remote->traceId, $spanId, $remote->spanId, $remote->traceState, $sampled, $name, $kind, $start);
            } else {
                $traceId = Ids::traceId();
                $sampled = Sampler::shouldSample($config->sampler, $config->samplerRatio, $traceId, null);
                $span = new Span($traceId, $spanId, '', '', $sampled, $name, $kind, $start);
            }
        } catch (\Throwable $e) {
            // random_bytes() found no entropy: trace nothing rather than fail the caller.
            return new Span('00000000000000000000000000000000', '0000000000000000', '', '', false, $name, $kind, $start);
        }
        $max = $config->maxAttributeLength;
        $span->maxAttributeLength = $max;
        if ($span->sampled) {
            // The common attribute (a short string) is stored as is; anything else takes setAttribute()'s checks.
            foreach ($attributes as $key => $value) {
                if (\is_string($value) && \is_string($key) && $key !== '' && \strlen($value) <= $max) {
                    $span->attributes[$key] = $value;
                } else {
                    $span->setAttribute((string) $key, $value);
                }
            }
        }
        if (self::$root === null) {
            self::$root = $span;
        }
        self::$stack[] = $span;
        return $span;
    }

    public static function currentSpan(): ?Span
    {
        $n = \count(self::$stack);
        return $n === 0 ? null : self::$stack[$n - 1];
    }

    public static function rootSpan(): ?Span
    {
        return self::$root;
    }

    /** Called by Span::end(); spans may end out of order. */
    public static function spanEnded(Span $span): void
    {
        $last = \count(self::$stack) - 1;
        if ($last >= 0 && self::$stack[$last] === $span) {
            // Spans nearly always end innermost first.
            \array_pop(self::$stack);
        } else {
            for ($i = $last - 1; $i >= 0; $i--) {
                if (self::$stack[$i] === $span) {
                    \array_splice(self::$stack, $i, 1);
                    break;
                }
            }
        }
        if (!$span->sampled || self::$config === null) {
            return;
        }
        if (\count(self::$finished) >= self::$config->maxSpans) {
            self::$dropped++;
            return;
        }
        self::$finished[] = $span;
    }

    /** Ends every span still open (innermost first), e.g. at shutdown. */
    public static function endAll(?string $endNanos = null): void
    {
        $end = $endNanos === null ? Clock::nowNanos() : $endNanos;
        while (($span = self::currentSpan()) !== null) {
            $span->end($end);
        }
    }

    /**
     * Spans finished so far, removed from the tracer.
     *
     * @return Span[]
     */
    public static function takeFinished(): array
    {
        $spans = self::$finished;
        self::$finished = [];
        return $spans;
    }

    public static function droppedSpans(): int
    {
        return self::$dropped;
    }

    /** The W3C traceparent for an outgoing call made now, or null when tracing is off. */
    public static function traceparent(): ?string
    {
        $span = self::currentSpan();
        if ($span !== null) {
            return $span->traceparent();
        }
        $remote = self::$remoteParent;
        return $remote === null ? null : TraceContext::format($remote->traceId, $remote->spanId, $remote->sampled);
    }

    /**
     * Adds traceparent (and tracestate) to a header map for an outgoing call:
     * ['traceparent' => '00-…', …]. Existing keys are replaced.
     *
     * @param array<string, string> $headers
     * @return array<string, string>
     */
    public static function injectHeaders(array $headers = []): array
    {
        $traceparent = self::traceparent();
        if ($traceparent === null) {
            return $headers;
        }
        $headers['traceparent'] = $traceparent;
        $span = self::currentSpan();
        $state = $span !== null ? $span->traceState : (self::$remoteParent !== null ? self::$remoteParent->traceState : '');
        if ($state !== '') {
            $headers['tracestate'] = $state;
        }
        return $headers;
    }

    /**
     * The same as header lines, for curl's CURLOPT_HTTPHEADER or a stream
     * context's 'header' option.
     *
     * @return string[]
     */
    public static function headerLines(): array
    {
        $lines = [];
        foreach (self::injectHeaders() as $name => $value) {
            $lines[] = $name . ': ' . $value;
        }
        return $lines;
    }

    /** Sets http.route on the request's root span and renames it `{METHOD} {route}`. */
    public static function setRoute(string $route): void
    {
        $root = self::$root;
        if ($root === null || $route === '' || !$root->isRecording() || $root->kind !== Span::KIND_SERVER) {
            return;
        }
        $root->setAttribute('http.route', $route);
        $method = isset($root->attributes['http.request.method']) ? (string) $root->attributes['http.request.method'] : '';
        if ($method !== '') {
            $root->updateName(($method === '_OTHER' ? 'HTTP' : $method) . ' ' . $route);
        }
    }
}
