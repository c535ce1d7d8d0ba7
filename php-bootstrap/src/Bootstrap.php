<?php
namespace Tracekit\Runtime;

/**
 * The request lifecycle: a root span when the prepend runs, and at the very
 * end (after the application's own shutdown functions) the span's outcome,
 * fastcgi_finish_request() where that is safe, then one export.
 *
 * Everything runs inside Bootstrap::quietly(): a temporary error handler that
 * swallows warnings so that error_get_last() and the application's handlers
 * never see ours, restored before any application code can run again.
 */
final class Bootstrap
{
    const FATAL_TYPES = \E_ERROR | \E_PARSE | \E_CORE_ERROR | \E_COMPILE_ERROR | \E_USER_ERROR | \E_RECOVERABLE_ERROR;

    /** @var bool */
    private static $started = false;
    /** @var bool */
    private static $http = false;
    /**
     * How many times the final step moves itself to the end of the shutdown
     * queue, so that shutdown functions the application registers from its
     * own shutdown functions (up to this depth) still run before it.
     */
    const SHUTDOWN_HOPS = 3;

    /** Up to this many spans are encoded and written before the client is released (see finishNow()). */
    const WRITE_FIRST_MAX_SPANS = 8;

    /**
     * @param array<string, mixed> $defaults written into the prepend by `tracekit php init`
     * @param bool $switchesRead the caller (the prepend) has read OTEL_SDK_DISABLED and TRACEKIT_DISABLED and found tracing on
     */
    public static function start(array $defaults, bool $switchesRead = false): void
    {
        if (self::$started) {
            return;
        }
        self::$started = true;
        $sapi = \PHP_SAPI;
        $cli = $sapi === 'cli' || $sapi === 'phpdbg';
        $config = Config::resolve($defaults, null, $switchesRead ? ($cli ? Config::CLI_VARIABLES : Config::HTTP_VARIABLES) : Config::VARIABLES);
        if ($config->disabled) {
            return;
        }
        if ($cli && !$config->cliSpans) {
            return;
        }
        if ($cli) {
            // Cron jobs and workers get their parent the OTel way for processes: a TRACEPARENT variable.
            $parent = TraceContext::fromHeaders(\getenv('TRACEPARENT'), \getenv('TRACESTATE'));
            $argv = isset($GLOBALS['argv']) && \is_array($GLOBALS['argv']) ? $GLOBALS['argv'] : [];
            $script = isset($argv[0]) && \is_string($argv[0]) ? $argv[0] : '';
            Tracer::activate($config, $parent);
            Tracer::startSpan($script === '' ? 'php' : \basename($script), Span::KIND_INTERNAL, ['process.command' => $script]);
        } else {
            self::$http = true;
            $request = self::requestVariables();
            $parent = \is_string($request['HTTP_TRACEPARENT'])
                ? TraceContext::fromHeaders($request['HTTP_TRACEPARENT'], isset($request['HTTP_TRACESTATE']) ? $request['HTTP_TRACESTATE'] : null)
                : null;
            list($name, $attributes) = HttpRequest::describe($request, $config->routeSource, $config->maxAttributeLength);
            Tracer::startRoot($config, $parent, $name, Span::KIND_SERVER, $attributes);
        }
        self::registerFinish();
    }

    /**
     * Registers our first shutdown function, before any of the application's:
     * when it runs it moves itself to the end of the queue, and does so
     * SHUTDOWN_HOPS more times, so that shutdown functions the application
     * registers from its own (up to that depth) still run before finish().
     * One closure registered again and again: a [class, method] callable is
     * looked up by name at every registration (~1,200 instructions each,
     * callgrind), a Closure is not. Registering it neither warns nor throws:
     * no need for quietly() on the hops.
     */
    private static function registerFinish(): void
    {
        $hopsLeft = self::SHUTDOWN_HOPS + 1;
        $hop = static function () use (&$hop, &$hopsLeft) {
            if ($hopsLeft > 0) {
                $hopsLeft--;
                \register_shutdown_function($hop);
                return;
            }
            $hop = null;
            self::finish();
        };
        \register_shutdown_function($hop);
    }

    /** The final step: outcome, end of the spans, fastcgi_finish_request() where safe, export. */
    public static function finish(): void
    {
        // quietly(), inlined: this runs once per request and the extra closure and call cost ~1,000 instructions.
        $guarded = false;
        try {
            \set_error_handler(static function () {
                return true;
            });
            $guarded = true;
            self::finishNow();
        } catch (\Throwable $e) {
            // Tracing is optional; the page is not.
        } finally {
            if ($guarded) {
                \restore_error_handler();
            }
        }
    }

    /**
     * Runs $work with warnings swallowed and any Throwable caught, then puts
     * the application's error handler back exactly as it was. A handler that
     * returns true keeps PHP from recording the error for error_get_last().
     *
     * @return mixed whatever $work returned, null when it threw
     */
    public static function quietly(callable $work)
    {
        $guarded = false;
        try {
            \set_error_handler(static function () {
                return true;
            });
            $guarded = true;
            return $work();
        } catch (\Throwable $e) {
            return null;
        } finally {
            if ($guarded) {
                \restore_error_handler();
            }
        }
    }

    private static function finishNow(): void
    {
        $config = Tracer::config();
        $root = Tracer::rootSpan();
        if ($config === null || $root === null || !$root->sampled) {
            return;
        }
        $last = \error_get_last();
        $fatal = \is_array($last) && isset($last['type'], $last['message']) && ($last['type'] & self::FATAL_TYPES) !== 0;
        // Out of memory: the shutdown runs at the limit, and any allocation here could fail again.
        if ($fatal && \strncmp((string) $last['message'], 'Allowed memory size', 19) === 0) {
            return;
        }
        $end = Clock::nowNanos();
        if (self::$http) {
            $code = \http_response_code();
            if (\is_int($code) && $code > 0 && $root->endNanos === null) {
                // setAttribute()'s checks, known to pass: the root is sampled and open, the value an int.
                $root->attributes['http.response.status_code'] = $code;
                if ($code >= 500) {
                    $root->setAttribute('error.type', (string) $code);
                    $root->setStatus(Span::STATUS_ERROR);
                }
            }
        }
        if ($fatal) {
            self::recordFatal($root, (string) $last['message'], isset($last['file']) ? (string) $last['file'] : '', isset($last['line']) ? (int) $last['line'] : 0, $end);
        }
        Tracer::endAll($end);
        // The sampled root has ended, so there is something to export. The client is released before
        // anything that could make it wait: a connect that may take time (TCP), the work for many
        // spans (queries are kept as compact records until now, Tracer::beginCall, and making them
        // into Spans costs ~0.4 µs each), or a write that would block (Exporter::send calls back).
        // A few spans to the local unix socket are encoded and written at once instead: a
        // non-blocking write to a live kept connection, ~10 µs on the response's path, which spares
        // every such request the checks releaseClient() makes (~12,000 instructions, most of them
        // get_declared_classes(), callgrind).
        $release = self::$http && $config->finishRequest && \PHP_SAPI === 'fpm-fcgi';
        if ($release && (Tracer::finishedCount() > self::WRITE_FIRST_MAX_SPANS || \strncmp($config->transport, 'unix:', 5) !== 0)) {
            self::releaseClient();
            $release = false;
        }
        $spans = Tracer::takeFinished();
        if ($spans === []) {
            return;
        }
        $body = OtlpJson::request($spans, $config, Tracer::droppedSpans());
        if ($body !== '') {
            Exporter::send($config, $body, $release ? [self::class, 'releaseClient'] : null);
        }
    }

    /**
     * fastcgi_finish_request() where that is the same as PHP's own end of
     * the request for the client (see outputIsSettled() and
     * applicationHasDestructors()); otherwise nothing, and the client waits
     * for the export (at most the budget).
     */
    public static function releaseClient(): void
    {
        if (\function_exists('fastcgi_finish_request') && self::outputIsSettled() && !self::applicationHasDestructors()) {
            \fastcgi_finish_request();
        }
    }

    /**
     * PHP reports an uncaught exception as a fatal error whose message starts
     * "Uncaught Class: message in file:line"; anything else is a plain fatal.
     */
    public static function recordFatal(Span $span, string $message, string $file, int $line, string $timeNanos): void
    {
        $type = 'php.fatal_error';
        $text = $message;
        if (\strncmp($message, 'Uncaught ', 9) === 0) {
            $colon = \strpos($message, ':', 9);
            $candidate = $colon === false ? '' : \substr($message, 9, $colon - 9);
            if ($candidate !== '' && \strspn($candidate, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_\\') === \strlen($candidate)) {
                $type = $candidate;
                $text = \ltrim(\substr($message, $colon + 1));
                $at = \strrpos($text, ' in ' . $file . ':');
                if ($file !== '' && $at !== false) {
                    $text = \substr($text, 0, $at);
                }
            }
        }
        $newline = \strpos($text, "\n");
        if ($newline !== false) {
            $text = \substr($text, 0, $newline);
        }
        $attributes = ['exception.type' => $type, 'exception.message' => $text, 'exception.escaped' => true];
        if ($file !== '') {
            $attributes['code.filepath'] = $file;
            $attributes['code.lineno'] = $line;
        }
        $span->addEvent('exception', $attributes, $timeNanos);
        $span->setAttribute('error.type', $type);
        $span->setStatus(Span::STATUS_ERROR, $text);
    }

    /**
     * fastcgi_finish_request() flushes every output buffer early. That is only
     * the same as PHP's own end-of-request flush when no buffer has a handler
     * of the application's (ob_gzhandler, a template engine's callback …).
     */
    private static function outputIsSettled(): bool
    {
        // The handlers' names alone: ob_get_status(true) builds an array of seven fields per level.
        foreach (\ob_list_handlers() as $name) {
            if ($name !== 'default output handler') {
                return false;
            }
        }
        return true;
    }

    /**
     * After the last shutdown function PHP still runs object destructors, and
     * only then flushes output. A destructor that echoes or sends a header
     * would be cut off by an early fastcgi_finish_request(), so when any class
     * of the application declares __destruct we do not call it, and export
     * within the budget instead. Classes are listed in declaration order, so
     * only those declared after this one (the runtime's last class, declared
     * by the prepend before the application's first line) are checked, from
     * the newest back to it: the ~250 classes of PHP and its extensions
     * before it are never compared.
     */
    private static function applicationHasDestructors(): bool
    {
        $classes = \get_declared_classes();
        for ($i = \count($classes) - 1; $i >= 0 && $classes[$i] !== self::class; $i--) {
            // Our own (e.g. the mysqli/PDO hooks, loaded after the runtime) never print from a destructor.
            if (\strncmp($classes[$i], 'Tracekit\\', 9) !== 0 && \method_exists($classes[$i], '__destruct')) {
                return true;
            }
        }
        return false;
    }

    /**
     * The request's CGI variables, read with getenv(), which asks the SAPI
     * (FastCGI parameters under php-fpm); false for those that are not set.
     * Never through $_SERVER: merely compiling a reference to it makes PHP
     * create it (auto_globals_jit), which a page that never uses it would
     * then see in $GLOBALS.
     *
     * @return array<string, string|false>
     */
    private static function requestVariables(): array
    {
        // Each getenv() is a SAPI lookup plus the input filter (~600 instructions under php-fpm), written
        // out in one array literal (a loop over the names cost ~250 more each). SERVER_NAME only stands in
        // for a missing Host header, and tracestate only goes with a traceparent.
        $request = [
            'REQUEST_METHOD' => \getenv('REQUEST_METHOD'), 'REQUEST_URI' => \getenv('REQUEST_URI'), 'QUERY_STRING' => \getenv('QUERY_STRING'),
            'HTTPS' => \getenv('HTTPS'), 'REQUEST_SCHEME' => \getenv('REQUEST_SCHEME'), 'SCRIPT_NAME' => \getenv('SCRIPT_NAME'),
            'HTTP_HOST' => \getenv('HTTP_HOST'), 'SERVER_PORT' => \getenv('SERVER_PORT'), 'REMOTE_ADDR' => \getenv('REMOTE_ADDR'),
            'HTTP_USER_AGENT' => \getenv('HTTP_USER_AGENT'), 'SERVER_PROTOCOL' => \getenv('SERVER_PROTOCOL'), 'HTTP_TRACEPARENT' => \getenv('HTTP_TRACEPARENT'),
        ];
        if (!\is_string($request['HTTP_HOST']) || $request['HTTP_HOST'] === '') {
            $request['SERVER_NAME'] = \getenv('SERVER_NAME');
        }
        if (\is_string($request['HTTP_TRACEPARENT'])) {
            $request['HTTP_TRACESTATE'] = \getenv('HTTP_TRACESTATE');
        }
        return $request;
    }
}
