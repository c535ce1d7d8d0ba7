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

    // A client call (a query) in flight is kept as a template, a parent and an hrtime() start, not
    // as a Span: the wrapper around a 15 µs local `SELECT 1` cannot afford the ~1 µs that a Span's
    // ids, clock strings and attribute checks cost (bench/php/span.php). Anything that could see the
    // call as the current span (a span started, the traceparent asked for, endAll) first turns it
    // into a real Span (promoteCall), so parent/child links stay exact.

    /** @var array{0: array{0: string, 1: array<string, mixed>}, 1: Span, 2: int, 3: int}|null the call in flight: [template, parent, hrtime(true) at its start, token] */
    private static $call = null;
    /** @var int the last token handed out (never reset, so a token never names two calls) */
    private static $tokens = 0;
    /** @var array<int, Span> calls turned into spans while in flight, by token, until they end */
    private static $promoted = [];
    /** @var int|false|null Unix nanoseconds minus hrtime(true); false without a 64-bit hrtime(); null until needed */
    private static $hrOffset = null;
    /** @var int the config's maxSpans, read once */
    private static $maxSpans = 0;

    public static function activate(Config $config, ?TraceContext $remoteParent): void
    {
        self::$config = $config;
        self::$remoteParent = $remoteParent;
        self::$stack = [];
        self::$finished = [];
        self::$dropped = 0;
        self::$root = null;
        self::$call = null;
        self::$promoted = [];
        self::$hrOffset = null;
        self::$maxSpans = $config->maxSpans;
    }

    /**
     * activate() and the request's root span in one step, for Bootstrap: it
     * runs once per request on cold caches, where every static property and
     * method reached costs a lookup (~300 instructions each, callgrind). The
     * attributes are taken as given: the caller has already made them what
     * setAttribute() would keep (HttpRequest::describe() with the limit).
     *
     * @param array<string, string|int> $attributes
     */
    public static function startRoot(Config $config, ?TraceContext $remoteParent, string $name, int $kind, array $attributes): Span
    {
        if (self::$config !== null) {
            self::activate($config, $remoteParent);
        } else {
            // Never active in this request: every other property still holds its default (nothing
            // changes them while tracing is off), so only these three need setting (~2,000
            // instructions less than activate()'s ten writes on cold caches).
            self::$config = $config;
            self::$remoteParent = $remoteParent;
            self::$maxSpans = $config->maxSpans;
        }
        $start = Clock::nowNanos();
        try {
            if ($remoteParent !== null) {
                $span = new Span($remoteParent->traceId, Ids::spanId(), $remoteParent->spanId, $remoteParent->traceState,
                    Sampler::shouldSample($config->sampler, $config->samplerRatio, $remoteParent->traceId, $remoteParent), $name, $kind, $start);
            } else {
                // Both ids from one random_bytes() (Ids' pool would add a getmypid() and its bookkeeping).
                $ids = \bin2hex(\random_bytes(24));
                $traceId = \substr($ids, 0, 32);
                $spanId = \substr($ids, 32);
                if ($traceId === '00000000000000000000000000000000' || $spanId === '0000000000000000') {
                    list($traceId, $spanId) = Ids::traceAndSpanId();
                }
                // The default sampler samples every new trace: no call for it.
                $sampled = $config->sampler === 'parentbased_always_on' || Sampler::shouldSample($config->sampler, $config->samplerRatio, $traceId, null);
                $span = new Span($traceId, $spanId, '', '', $sampled, $name, $kind, $start);
            }
        } catch (\Throwable $e) {
            // random_bytes() found no entropy: trace nothing rather than fail the page.
            $span = new Span('00000000000000000000000000000000', '0000000000000000', '', '', false, $name, $kind, $start);
        }
        $span->maxAttributeLength = $config->maxAttributeLength;
        if ($span->sampled) {
            $span->attributes = $attributes;
        }
        self::$root = $span;
        self::$stack[] = $span;
        return $span;
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
        if (self::$call !== null) {
            self::promoteCall();
        }
        // The encoder writes timestamps unescaped: only decimal digits are taken as given (trim() is linear; strspn() compares every byte with every digit).
        $start = $startNanos === null || $startNanos === '' || \trim($startNanos, '0123456789') !== '' ? Clock::nowNanos() : $startNanos;
        $config = self::$config;
        if ($config === null) {
            return new Span('00000000000000000000000000000000', '0000000000000000', '', '', false, $name, $kind, $start);
        }
        $n = \count(self::$stack);
        $parent = $n === 0 ? null : self::$stack[$n - 1];
        try {
            if ($parent !== null) {
                $span = new Span($parent->traceId, Ids::spanId(), $parent->spanId, $parent->traceState, $parent->sampled, $name, $kind, $start);
            } elseif (self::$remoteParent !== null) {
                $remote = self::$remoteParent;
                $sampled = Sampler::shouldSample($config->sampler, $config->samplerRatio, $remote->traceId, $remote);
                $span = new Span($remote->traceId, Ids::spanId(), $remote->spanId, $remote->traceState, $sampled, $name, $kind, $start);
            } else {
                list($traceId, $spanId) = Ids::traceAndSpanId();
                $sampled = Sampler::shouldSample($config->sampler, $config->samplerRatio, $traceId, null);
                $span = new Span($traceId, $spanId, '', '', $sampled, $name, $kind, $start);
            }
        } catch (\Throwable $e) {
            // random_bytes() found no entropy: trace nothing rather than fail the caller.
            return new Span('00000000000000000000000000000000', '0000000000000000', '', '', false, $name, $kind, $start);
        }
        $span->maxAttributeLength = $config->maxAttributeLength;
        if ($span->sampled && $attributes !== []) {
            $span->attributes = self::checkedAttributes($span, $attributes);
        }
        if (self::$root === null) {
            self::$root = $span;
        }
        self::$stack[] = $span;
        return $span;
    }

    /**
     * $attributes as setAttribute() would keep them on $span (which must be recording).
     *
     * @param array<string, mixed> $attributes
     * @return array<string, mixed>
     */
    private static function checkedAttributes(Span $span, array $attributes): array
    {
        $max = $span->maxAttributeLength;
        $kept = $span->attributes;
        foreach ($attributes as $key => $value) {
            // The common attribute (a short string) is stored as is; anything else takes setAttribute()'s checks.
            if (\is_string($value) && \is_string($key) && $key !== '' && \strlen($value) <= $max) {
                $kept[$key] = $value;
            } else {
                $span->attributes = $kept;
                $span->setAttribute((string) $key, $value);
                $kept = $span->attributes;
            }
        }
        return $kept;
    }

    /**
     * A client span's name and attributes checked once (as startSpan() would), to begin many calls with:
     * the mysqli/PDO hooks keep one per statement and connection.
     *
     * @param array<string, mixed> $attributes
     * @return array{0: string, 1: array<string, mixed>}
     */
    public static function clientTemplate(string $name, array $attributes): array
    {
        $config = self::$config;
        $probe = new Span('', '', '', '', true, $name, Span::KIND_CLIENT, '0');
        if ($config !== null) {
            $probe->maxAttributeLength = $config->maxAttributeLength;
        }
        return [$name, self::checkedAttributes($probe, $attributes)];
    }

    /**
     * Begins a client call (a query) of the current span, with a template from clientTemplate(), and
     * returns its token for endCall() or callSpan(). 0 means: not begun here (tracing is off, there is
     * no current span, or no 64-bit hrtime()); the caller then uses startSpan().
     *
     * @param array{0: string, 1: array<string, mixed>} $template
     */
    public static function beginCall(array $template): int
    {
        if (self::$call !== null) {
            // A call begun while another is in flight (from an error handler): the outer one is its parent.
            self::promoteCall();
        }
        // The stack is empty while tracing is off: activate() is what lets spans onto it.
        $n = \count(self::$stack);
        if ($n === 0 || (!\is_int(self::$hrOffset) && !self::canTimeCalls())) {
            return 0;
        }
        $token = ++self::$tokens;
        self::$call = [$template, self::$stack[$n - 1], \hrtime(true), $token];
        return $token;
    }

    /** Ends a call from beginCall(): it is recorded as a finished CLIENT span of its parent. */
    public static function endCall(int $token): void
    {
        $end = \hrtime(true);
        $call = self::$call;
        if ($call !== null && $call[3] === $token) {
            self::$call = null;
            if (!$call[1]->sampled) {
                return;
            }
            if (\count(self::$finished) >= self::$maxSpans) {
                self::$dropped++;
                return;
            }
            // [template, parent, start, end]: made into a Span by takeFinished(), at export.
            $call[3] = $end;
            self::$finished[] = $call;
            return;
        }
        if (isset(self::$promoted[$token])) {
            $span = self::$promoted[$token];
            unset(self::$promoted[$token]);
            $span->end(self::nanos($end));
        }
    }

    /**
     * The call from beginCall() as a Span, for what only a Span records (an error, an exception).
     * The caller ends it. Null for a token that has already ended.
     */
    public static function callSpan(int $token): ?Span
    {
        if (self::$call !== null && self::$call[3] === $token) {
            self::promoteCall();
        }
        if (!isset(self::$promoted[$token])) {
            return null;
        }
        $span = self::$promoted[$token];
        unset(self::$promoted[$token]);
        return $span;
    }

    /** Turns the call in flight into a Span on the stack, for whatever is about to look at it. */
    private static function promoteCall(): void
    {
        $call = self::$call;
        self::$call = null;
        if ($call === null) {
            return;
        }
        list($template, $parent, $startHrtime, $token) = $call;
        $start = self::nanos($startHrtime);
        try {
            $span = new Span($parent->traceId, Ids::spanId(), $parent->spanId, $parent->traceState, $parent->sampled, $template[0], Span::KIND_CLIENT, $start);
        } catch (\Throwable $e) {
            // random_bytes() found no entropy: trace nothing rather than fail the caller.
            $span = new Span('00000000000000000000000000000000', '0000000000000000', '', '', false, $template[0], Span::KIND_CLIENT, $start);
        }
        if (self::$config !== null) {
            $span->maxAttributeLength = self::$config->maxAttributeLength;
        }
        if ($span->sampled) {
            $span->attributes = $template[1];
        }
        self::$stack[] = $span;
        self::$promoted[$token] = $span;
    }

    /** Whether calls can be timed with hrtime() (see measureHrOffset()); measured once per request. */
    private static function canTimeCalls(): bool
    {
        if (self::$hrOffset === null) {
            self::$hrOffset = self::measureHrOffset();
        }
        return \is_int(self::$hrOffset);
    }

    /**
     * Unix nanoseconds minus hrtime(true), read around one Clock::nowNanos() so that calls timed with
     * hrtime() line up with every other span's Clock time (to within the ~20 ns between the reads: the
     * narrowest of three tries, split in the middle). False where Clock itself has no 64-bit hrtime().
     *
     * @return int|false
     */
    private static function measureHrOffset()
    {
        if (\PHP_INT_SIZE < 8 || !\function_exists('hrtime') || !\is_int(\hrtime(true))) {
            return false;
        }
        $offset = 0;
        $narrowest = \PHP_INT_MAX;
        for ($i = 0; $i < 3; $i++) {
            $before = \hrtime(true);
            $wall = (int) Clock::nowNanos();
            $after = \hrtime(true);
            if ($after - $before < $narrowest) {
                $narrowest = $after - $before;
                $offset = $wall - \intdiv($before + $after, 2);
            }
        }
        return $offset;
    }

    /** An hrtime(true) reading as Clock's Unix nanoseconds. */
    private static function nanos(int $hrtime): string
    {
        return (string) (self::$hrOffset + $hrtime);
    }

    public static function currentSpan(): ?Span
    {
        if (self::$call !== null) {
            self::promoteCall();
        }
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
        if (self::$call !== null) {
            self::promoteCall();
        }
        // The encoder writes timestamps unescaped: only decimal digits are taken as given.
        $end = $endNanos === null || $endNanos === '' || \trim($endNanos, '0123456789') !== '' ? Clock::nowNanos() : $endNanos;
        // At shutdown usually only the root span is still open: Span::end() and spanEnded() for it,
        // written out (three calls less on the request path).
        if (\count(self::$stack) === 1 && self::$stack[0]->endNanos === null) {
            $span = self::$stack[0];
            $span->endNanos = $end;
            self::$stack = [];
            if ($span->sampled && self::$config !== null) {
                if (\count(self::$finished) >= self::$maxSpans) {
                    self::$dropped++;
                } else {
                    self::$finished[] = $span;
                }
            }
            return;
        }
        while (($span = self::currentSpan()) !== null) {
            $span->end($end);
        }
    }

    /**
     * Spans finished so far, in the order they ended, removed from the tracer. Calls from
     * beginCall() become Spans here, at export: ids, timestamps and attributes.
     *
     * @return Span[]
     */
    public static function takeFinished(): array
    {
        $finished = self::$finished;
        self::$finished = [];
        if (\count($finished) === 1 && $finished[0] instanceof Span) {
            // The request's root span alone: nothing to turn into a Span.
            return $finished;
        }
        $spans = [];
        $max = self::$config !== null ? self::$config->maxAttributeLength : 4096;
        $random = null;
        foreach ($finished as $i => $item) {
            if ($item instanceof Span) {
                $spans[] = $item;
                continue;
            }
            if ($random === null) {
                // The calls' span ids from one random_bytes() (Ids::spanId() reads the pid and slices its
                // pool per id: 0.36 µs each, bench/php/span.php); Ids::spanId() where that fails or gives zeros.
                try {
                    $random = \bin2hex(\random_bytes(8 * \count($finished)));
                } catch (\Throwable $e) {
                    $random = '';
                }
            }
            list($template, $parent, $start, $end) = $item;
            $spanId = (string) \substr($random, 16 * $i, 16);
            if (\strlen($spanId) !== 16 || $spanId === '0000000000000000') {
                try {
                    $spanId = Ids::spanId();
                } catch (\Throwable $e) {
                    // random_bytes() found no entropy: this span cannot be exported.
                    self::$dropped++;
                    continue;
                }
            }
            $span = new Span($parent->traceId, $spanId, $parent->spanId, $parent->traceState, true, $template[0], Span::KIND_CLIENT, self::nanos($start));
            $span->maxAttributeLength = $max;
            $span->attributes = $template[1];
            $span->endNanos = self::nanos($end);
            $spans[] = $span;
        }
        return $spans;
    }

    /** How many spans (and calls) have finished and wait for takeFinished(). */
    public static function finishedCount(): int
    {
        return \count(self::$finished);
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
