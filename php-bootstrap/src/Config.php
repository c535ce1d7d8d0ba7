<?php
namespace Tracekit\Runtime;

/**
 * The runtime's settings, resolved once per request from the environment
 * (OTEL_* and TRACEKIT_*), falling back to the defaults `tracekit php init`
 * wrote into the prepend file. A value that does not parse is ignored
 * silently: tracing must never print or warn.
 */
final class Config
{
    const DEFAULT_ENDPOINT = 'unix:///run/tracekit/otlp.sock';

    /** @var bool */
    public $disabled = false;
    /** @var string */
    public $serviceName = 'unknown_service:php';
    /** @var array<string, string> */
    public $resourceAttributes = [];
    /** @var string stream_socket_client() address: unix:///path or tcp://ip:port */
    public $transport = 'unix:///run/tracekit/otlp.sock';
    /** @var string */
    public $httpHost = 'localhost';
    /** @var string */
    public $httpPath = '/v1/traces';
    /** @var int connect + write + reading the status line, together */
    public $exportTimeoutMillis = 5;
    /** @var string */
    public $sampler = 'parentbased_always_on';
    /** @var float */
    public $samplerRatio = 1.0;
    /** @var bool */
    public $finishRequest = true;
    /** @var bool */
    public $cliSpans = true;
    /** @var string 'script' (SCRIPT_NAME is the route) or 'none' */
    public $routeSource = 'script';
    /** @var int */
    public $maxSpans = 512;
    /** @var int */
    public $maxAttributeLength = 4096;
    /** @var string */
    public $version = '0.0.0';

    /** Every variable the runtime reads, in one list: resolve() reads them in one loop. */
    const VARIABLES = [
        'OTEL_SDK_DISABLED', 'TRACEKIT_DISABLED', 'OTEL_RESOURCE_ATTRIBUTES', 'OTEL_SERVICE_NAME',
        'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'TRACEKIT_EXPORT_TIMEOUT_MS',
        'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG', 'TRACEKIT_FINISH_REQUEST', 'TRACEKIT_CLI_SPANS',
        'TRACEKIT_HTTP_ROUTE', 'TRACEKIT_MAX_SPANS', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
    ];

    /**
     * What a web request needs once the prepend has found tracing switched on
     * (it read the two switches): each getenv() costs ~600 instructions under
     * php-fpm, so neither the switches again nor TRACEKIT_CLI_SPANS, and
     * OTEL_TRACES_SAMPLER_ARG only for a ratio sampler (resolve() reads it then).
     */
    const HTTP_VARIABLES = [
        'OTEL_RESOURCE_ATTRIBUTES', 'OTEL_SERVICE_NAME', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT',
        'TRACEKIT_EXPORT_TIMEOUT_MS', 'OTEL_TRACES_SAMPLER', 'TRACEKIT_FINISH_REQUEST', 'TRACEKIT_HTTP_ROUTE',
        'TRACEKIT_MAX_SPANS', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
    ];

    /** The same for a CLI script. */
    const CLI_VARIABLES = [
        'OTEL_RESOURCE_ATTRIBUTES', 'OTEL_SERVICE_NAME', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT',
        'TRACEKIT_EXPORT_TIMEOUT_MS', 'OTEL_TRACES_SAMPLER', 'TRACEKIT_CLI_SPANS', 'TRACEKIT_MAX_SPANS', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
    ];

    /**
     * Runs once per request, on cold caches: every distinct call it makes
     * costs a lookup, so the variables are read in one loop and only those
     * that are set are looked at (isset on the array, no call).
     *
     * @param array<string, mixed> $defaults keys serviceName, endpoint, version
     * @param callable|null $getenv for tests; getenv() otherwise
     * @param string[] $names the variables to read: VARIABLES, or HTTP_VARIABLES / CLI_VARIABLES
     */
    public static function resolve(array $defaults, ?callable $getenv = null, array $names = self::VARIABLES): self
    {
        $c = new self();
        $env = [];
        foreach ($names as $name) {
            $value = $getenv === null ? \getenv($name) : $getenv($name);
            if (\is_string($value) && $value !== '') {
                $value = \trim($value);
                if ($value !== '') {
                    $env[$name] = $value;
                }
            }
        }

        if (isset($defaults['version']) && \is_string($defaults['version'])) {
            $c->version = $defaults['version'];
        }
        if ((isset($env['OTEL_SDK_DISABLED']) && \strtolower($env['OTEL_SDK_DISABLED']) === 'true')
            || (isset($env['TRACEKIT_DISABLED']) && self::isTrue($env['TRACEKIT_DISABLED']))) {
            $c->disabled = true;
            return $c;
        }

        if (isset($defaults['serviceName']) && \is_string($defaults['serviceName']) && $defaults['serviceName'] !== '') {
            $c->serviceName = $defaults['serviceName'];
        }
        if (isset($env['OTEL_RESOURCE_ATTRIBUTES'])) {
            $c->resourceAttributes = self::parseResourceAttributes($env['OTEL_RESOURCE_ATTRIBUTES']);
            if (isset($c->resourceAttributes['service.name']) && $c->resourceAttributes['service.name'] !== '') {
                $c->serviceName = $c->resourceAttributes['service.name'];
            }
        }
        if (isset($env['OTEL_SERVICE_NAME'])) {
            $c->serviceName = $env['OTEL_SERVICE_NAME'];
        }

        // Signal-specific beats generic (the OTel rule), generic beats the prepend's default; a bad
        // value falls through to the next. Each accepted endpoint sets all three fields, so trying
        // them from the strongest down gives what applying them from the weakest up would.
        if (!(isset($env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) && $c->applyEndpoint($env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'], false))
            && !(isset($env['OTEL_EXPORTER_OTLP_ENDPOINT']) && $c->applyEndpoint($env['OTEL_EXPORTER_OTLP_ENDPOINT'], true))
            && !(isset($defaults['endpoint']) && \is_string($defaults['endpoint']) && $c->applyEndpoint($defaults['endpoint'], true))) {
            $c->applyEndpoint(self::DEFAULT_ENDPOINT, true);
        }

        if (isset($env['TRACEKIT_EXPORT_TIMEOUT_MS'])) {
            $timeout = self::parseInt($env['TRACEKIT_EXPORT_TIMEOUT_MS'], 1, 1000);
            if ($timeout !== null) {
                $c->exportTimeoutMillis = $timeout;
            }
        }
        if (isset($env['OTEL_TRACES_SAMPLER'])) {
            $sampler = \strtolower($env['OTEL_TRACES_SAMPLER']);
            if (\in_array($sampler, Sampler::NAMES, true)) {
                $c->sampler = $sampler;
            }
        }
        if (!isset($env['OTEL_TRACES_SAMPLER_ARG']) && \substr($c->sampler, -12) === 'traceidratio') {
            $arg = $getenv === null ? \getenv('OTEL_TRACES_SAMPLER_ARG') : $getenv('OTEL_TRACES_SAMPLER_ARG');
            if (\is_string($arg) && \trim($arg) !== '') {
                $env['OTEL_TRACES_SAMPLER_ARG'] = \trim($arg);
            }
        }
        if (isset($env['OTEL_TRACES_SAMPLER_ARG']) && \is_numeric($env['OTEL_TRACES_SAMPLER_ARG'])) {
            $ratio = (float) $env['OTEL_TRACES_SAMPLER_ARG'];
            if ($ratio >= 0.0 && $ratio <= 1.0) {
                $c->samplerRatio = $ratio;
            }
        }
        if (isset($env['TRACEKIT_FINISH_REQUEST'])) {
            if (self::isTrue($env['TRACEKIT_FINISH_REQUEST'])) {
                $c->finishRequest = true;
            } elseif (self::isFalse($env['TRACEKIT_FINISH_REQUEST'])) {
                $c->finishRequest = false;
            }
        }
        if (isset($env['TRACEKIT_CLI_SPANS']) && self::isFalse($env['TRACEKIT_CLI_SPANS'])) {
            $c->cliSpans = false;
        }
        if (isset($env['TRACEKIT_HTTP_ROUTE'])) {
            $route = \strtolower($env['TRACEKIT_HTTP_ROUTE']);
            if ($route === 'script' || $route === 'none') {
                $c->routeSource = $route;
            }
        }
        if (isset($env['TRACEKIT_MAX_SPANS'])) {
            $maxSpans = self::parseInt($env['TRACEKIT_MAX_SPANS'], 1, 100000);
            if ($maxSpans !== null) {
                $c->maxSpans = $maxSpans;
            }
        }
        if (isset($env['OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'])) {
            $maxLength = self::parseInt($env['OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'], 16, 1048576);
            if ($maxLength !== null) {
                $c->maxAttributeLength = $maxLength;
            }
        }
        return $c;
    }

    /**
     * Accepts unix:///abs/path.sock, unix:/abs/path.sock and http://HOST:PORT[/path] where
     * HOST is an IP literal or localhost: resolving a name could block the request on DNS.
     */
    public function applyEndpoint(string $endpoint, bool $appendSignalPath): bool
    {
        if ($endpoint === '') {
            return false;
        }
        if (\strncmp($endpoint, 'unix:', 5) === 0) {
            $path = \substr($endpoint, 5);
            if (\strncmp($path, '//', 2) === 0) {
                $path = \substr($path, 2);
            }
            if ($path === '' || $path[0] !== '/' || \strlen($path) > 107 || \strpos($path, "\0") !== false) {
                return false;
            }
            $this->transport = 'unix://' . $path;
            $this->httpHost = 'localhost';
            $this->httpPath = '/v1/traces';
            return true;
        }
        if (\strncmp($endpoint, 'http://', 7) !== 0) {
            return false;
        }
        $rest = \substr($endpoint, 7);
        $slash = \strpos($rest, '/');
        $authority = $slash === false ? $rest : \substr($rest, 0, $slash);
        $path = $slash === false ? '' : \substr($rest, $slash);
        if ($authority === '' || \strpos($authority, '@') !== false) {
            return false;
        }
        if ($authority[0] === '[') {
            $close = \strpos($authority, ']');
            if ($close === false) {
                return false;
            }
            $host = \substr($authority, 0, $close + 1);
            $portText = (string) \substr($authority, $close + 1);
            if ($host !== '[::1]') {
                return false;
            }
        } else {
            $colon = \strrpos($authority, ':');
            $host = $colon === false ? $authority : \substr($authority, 0, $colon);
            $portText = $colon === false ? '' : \substr($authority, $colon);
            if ($host === 'localhost') {
                $host = '127.0.0.1';
            }
            if (\ip2long($host) === false || \substr_count($host, '.') !== 3) {
                return false;
            }
        }
        $port = 80;
        if ($portText !== '') {
            $parsed = $portText[0] === ':' ? self::parseInt(\substr($portText, 1), 1, 65535) : null;
            if ($parsed === null) {
                return false;
            }
            $port = $parsed;
        }
        if (\strpos($path, '?') !== false || \strpos($path, '#') !== false) {
            return false;
        }
        if ($appendSignalPath) {
            $path = \rtrim($path, '/') . '/v1/traces';
        } elseif ($path === '') {
            $path = '/';
        }
        $this->transport = 'tcp://' . $host . ':' . $port;
        $this->httpHost = $host . ':' . $port;
        $this->httpPath = $path;
        return true;
    }

    /** @return array<string, string> */
    public static function parseResourceAttributes(string $value): array
    {
        $out = [];
        if ($value === '') {
            return $out;
        }
        foreach (\explode(',', $value) as $pair) {
            $eq = \strpos($pair, '=');
            if ($eq === false) {
                continue;
            }
            $key = \trim(\rawurldecode(\substr($pair, 0, $eq)));
            $val = \trim(\rawurldecode(\substr($pair, $eq + 1)));
            if ($key === '') {
                continue;
            }
            $out[$key] = $val;
        }
        return $out;
    }

    private static function parseInt(string $value, int $min, int $max): ?int
    {
        if ($value === '' || \strlen($value) > 9 || \strspn($value, '0123456789') !== \strlen($value)) {
            return null;
        }
        $n = (int) $value;
        return $n >= $min && $n <= $max ? $n : null;
    }

    private static function isTrue(string $value): bool
    {
        $v = \strtolower($value);
        return $v === '1' || $v === 'true' || $v === 'yes' || $v === 'on';
    }

    private static function isFalse(string $value): bool
    {
        $v = \strtolower($value);
        return $v === '0' || $v === 'false' || $v === 'no' || $v === 'off';
    }
}
