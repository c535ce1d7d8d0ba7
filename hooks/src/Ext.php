<?php
namespace Tracekit\Hooks;

/**
 * mysqli/PDO spans through the opentelemetry extension's hook API, built
 * with tracekit's runtime (no Composer, no OpenTelemetry SDK). The hooks
 * file calls register() with the functions and methods the audit found,
 * only when available() says the extension can hook internal functions.
 *
 * The closures never throw, never return anything from pre (an array would
 * replace the arguments) and declare no return type on post (one would
 * replace the return value). A pre/post pair shares its span through a stack.
 */
final class Ext
{
    /** @var array<int, object|null> spans of the hooked calls still running, innermost last */
    private static $open = [];

    public static function available(): bool
    {
        return \extension_loaded('opentelemetry') && \PHP_VERSION_ID >= 80200 && \function_exists('OpenTelemetry\\Instrumentation\\hook');
    }

    /**
     * Registers a pre/post pair per target ([class or null, function]) and
     * makes the wrappers of the hooked calls stand down, so a call is never
     * traced twice. Returns how many hooks the extension accepted.
     *
     * @param array<int, array{0: string|null, 1: string}> $targets
     */
    public static function register(array $targets): int
    {
        $accepted = 0;
        foreach ($targets as $target) {
            list($class, $function) = $target;
            $call = $class === null ? $function : $class . '::' . $function;
            try {
                $ok = \OpenTelemetry\Instrumentation\hook($class, $function, self::pre($call), self::post($call));
            } catch (\Throwable $e) {
                $ok = false;
            }
            if ($ok === true) {
                $accepted++;
                Db::$hooked[$call] = true;
            }
        }
        if ($accepted > 0) {
            Db::$extActive = true;
        }
        return $accepted;
    }

    /** The pre closure for one traced call: starts its span, returns nothing. */
    public static function pre(string $call): \Closure
    {
        return static function ($object = null, $params = [], $class = null, $function = null, $filename = null, $lineno = null) use ($call) {
            try {
                self::$open[] = Db::beginHooked($call, \is_object($object) ? $object : null, \is_array($params) ? \array_values($params) : []);
            } catch (\Throwable $e) {
                self::$open[] = null;
            }
        };
    }

    /** The post closure for one traced call: ends its span; no return type, so the return value stays. */
    public static function post(string $call): \Closure
    {
        return static function ($object = null, $params = [], $returnValue = null, $exception = null) use ($call) {
            try {
                $span = \array_pop(self::$open);
                if ($exception instanceof \Throwable) {
                    Db::failed($span, $exception);
                } else {
                    Db::done($span, $call, \is_object($object) ? $object : null, \is_array($params) ? \array_values($params) : [], $returnValue);
                }
            } catch (\Throwable $e) {
                // Tracing is optional; the call is not.
            }
        };
    }
}
