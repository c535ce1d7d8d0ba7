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

    /** @param array<string, mixed> $defaults written into the prepend by `tracekit php init` */
    public static function start(array $defaults): void
    {
        if (self::$started) {
            return;
        }
        self::$started = true;
        $config = Config::resolve($defaults);
        if ($config->disabled) {
            return;
        }
        $sapi = \PHP_SAPI;
        $cli = $sapi === 'cli' || $sapi === 'phpdbg';
        if ($cli && !$config->cliSpans) {
            return;
        }
        $start = self::requestStartNanos();
        if ($cli) {
            // Cron jobs and workers get their parent the OTel way for processes: a TRACEPARENT variable.
            $parent = TraceContext::fromHeaders(\getenv('TRACEPARENT'), \getenv('TRACESTATE'));
            $script = isset($_SERVER['SCRIPT_FILENAME']) && \is_string($_SERVER['SCRIPT_FILENAME']) ? $_SERVER['SCRIPT_FILENAME'] : '';
            Tracer::activate($config, $parent);
            Tracer::startSpan($script === '' ? 'php' : \basename($script), Span::KIND_INTERNAL, ['process.command' => $script], $start);
        } else {
            self::$http = true;
            $parent = TraceContext::fromHeaders(
                isset($_SERVER['HTTP_TRACEPARENT']) ? $_SERVER['HTTP_TRACEPARENT'] : null,
                isset($_SERVER['HTTP_TRACESTATE']) ? $_SERVER['HTTP_TRACESTATE'] : null
            );
            list($name, $attributes) = HttpRequest::describe($_SERVER, $config->routeSource);
            Tracer::activate($config, $parent);
            Tracer::startSpan($name, Span::KIND_SERVER, $attributes, $start);
        }
        \register_shutdown_function([self::class, 'onShutdown']);
    }

    /**
     * Our first shutdown function, registered before the application's; the
     * one it registers now runs after all of theirs.
     */
    public static function onShutdown(): void
    {
        self::quietly(static function () {
            \register_shutdown_function([self::class, 'finish']);
        });
    }

    public static function finish(): void
    {
        self::quietly(static function () {
            self::finishNow();
        });
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
            if (\is_int($code) && $code > 0) {
                $root->setAttribute('http.response.status_code', $code);
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
        $spans = Tracer::takeFinished();
        if ($spans === []) {
            return;
        }
        if (self::$http && $config->finishRequest && \PHP_SAPI === 'fpm-fcgi' && \function_exists('fastcgi_finish_request') && self::outputIsSettled()) {
            \fastcgi_finish_request();
        }
        $body = OtlpJson::encode($spans, ResourceInfo::attributes($config), $config->version, Tracer::droppedSpans());
        if ($body !== '') {
            Exporter::send($config, $body);
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
        foreach (\ob_get_status(true) as $status) {
            if (!isset($status['name']) || $status['name'] !== 'default output handler') {
                return false;
            }
        }
        return true;
    }

    private static function requestStartNanos(): string
    {
        $start = isset($_SERVER['REQUEST_TIME_FLOAT']) ? Clock::secondsToNanos($_SERVER['REQUEST_TIME_FLOAT']) : null;
        return $start === null ? Clock::nowNanos() : $start;
    }
}
