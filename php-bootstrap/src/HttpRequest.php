<?php
namespace Tracekit\Runtime;

/**
 * Turns the incoming request's CGI variables into the root span's name and
 * HTTP server attributes.
 */
final class HttpRequest
{
    /** The CGI variables read, and nothing else. */
    const VARIABLES = [
        'REQUEST_METHOD', 'REQUEST_URI', 'QUERY_STRING', 'HTTPS', 'REQUEST_SCHEME', 'SCRIPT_NAME', 'HTTP_HOST',
        'SERVER_NAME', 'SERVER_PORT', 'REMOTE_ADDR', 'HTTP_USER_AGENT', 'SERVER_PROTOCOL', 'HTTP_TRACEPARENT', 'HTTP_TRACESTATE',
    ];

    const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

    /** Query keys whose values are replaced by REDACTED in url.query. */
    const SENSITIVE_KEYS = [
        'password', 'passwd', 'pwd', 'pass', 'secret', 'token', 'access_token', 'refresh_token', 'id_token',
        'api_key', 'apikey', 'key', 'auth', 'authorization', 'session', 'sessionid', 'phpsessid', 'sid',
        'signature', 'sig', 'awsaccesskeyid', 'x-goog-signature', 'x-amz-signature', 'x-amz-credential', 'code',
    ];

    /** KNOWN_METHODS as keys: isset() is an opcode, in_array() a call. */
    const KNOWN_METHOD_KEYS = ['GET' => true, 'HEAD' => true, 'POST' => true, 'PUT' => true, 'DELETE' => true, 'CONNECT' => true, 'OPTIONS' => true, 'TRACE' => true, 'PATCH' => true];

    /**
     * Runs once per request: the variables are read inline (isset and a type
     * check are opcodes, a helper call per variable is a lookup each on cold
     * caches). String values longer than $maxAttributeLength are cut, as
     * Span::setAttribute() would, so that the result can be a span's
     * attributes as it is (Tracer::startRoot()).
     *
     * @param array<string, mixed> $server CGI variables as in HttpRequest::VARIABLES (false or absent when not set)
     * @return array{0: string, 1: array<string, string|int>} span name and attributes
     */
    public static function describe(array $server, string $routeSource, int $maxAttributeLength = \PHP_INT_MAX): array
    {
        $method = $server['REQUEST_METHOD'] ?? '';
        if (!\is_string($method)) {
            $method = '';
        }
        $attributes = [];
        if (isset(self::KNOWN_METHOD_KEYS[$method])) {
            $attributes['http.request.method'] = $method;
            $nameMethod = $method;
        } else {
            $attributes['http.request.method'] = '_OTHER';
            if ($method !== '') {
                $attributes['http.request.method_original'] = \substr($method, 0, 64);
            }
            $nameMethod = 'HTTP';
        }

        $uri = $server['REQUEST_URI'] ?? '';

        if (!\is_string($uri)) {

            $uri = '';

        }
        $question = \strpos($uri, '?');
        $path = $question === false ? $uri : \substr($uri, 0, $question);
        if ($path !== '') {
            $attributes['url.path'] = $path;
        }
        $query = $server['QUERY_STRING'] ?? '';
        if (!\is_string($query)) {
            $query = '';
        }
        if ($query === '' && $question !== false) {
            $query = (string) \substr($uri, $question + 1);
        }
        if ($query !== '') {
            $attributes['url.query'] = self::redactQuery($query);
        }

        $https = $server['HTTPS'] ?? '';

        if (!\is_string($https)) {

            $https = '';

        }
        $attributes['url.scheme'] = ($https !== '' && \strtolower($https) !== 'off')
            || (isset($server['REQUEST_SCHEME']) && $server['REQUEST_SCHEME'] === 'https') ? 'https' : 'http';

        $route = '';
        if ($routeSource === 'script' && isset($server['SCRIPT_NAME']) && \is_string($server['SCRIPT_NAME'])) {
            $route = $server['SCRIPT_NAME'];
        }
        if ($route !== '') {
            $attributes['http.route'] = $route;
        }

        $host = $server['HTTP_HOST'] ?? '';

        if (!\is_string($host)) {

            $host = '';

        }
        if ($host === '' && isset($server['SERVER_NAME']) && \is_string($server['SERVER_NAME'])) {
            $host = $server['SERVER_NAME'];
        }
        if ($host !== '') {
            // Without the port: [v6]:port keeps the brackets, name:port loses ":port".
            if ($host[0] === '[') {
                $close = \strpos($host, ']');
                $attributes['server.address'] = $close === false ? $host : \substr($host, 0, $close + 1);
            } else {
                $colon = \strrpos($host, ':');
                $attributes['server.address'] = $colon === false ? $host : \substr($host, 0, $colon);
            }
        }
        $port = $server['SERVER_PORT'] ?? '';
        if (!\is_string($port)) {
            $port = '';
        }
        if ($port !== '' && \strlen($port) <= 5 && \strspn($port, '0123456789') === \strlen($port)) {
            $attributes['server.port'] = (int) $port;
        }
        $client = $server['REMOTE_ADDR'] ?? '';
        if (!\is_string($client)) {
            $client = '';
        }
        if ($client !== '') {
            $attributes['client.address'] = $client;
        }
        $agent = $server['HTTP_USER_AGENT'] ?? '';
        if (!\is_string($agent)) {
            $agent = '';
        }
        if ($agent !== '') {
            $attributes['user_agent.original'] = $agent;
        }
        if (isset($server['SERVER_PROTOCOL']) && \is_string($server['SERVER_PROTOCOL']) && \strncmp($server['SERVER_PROTOCOL'], 'HTTP/', 5) === 0) {
            $attributes['network.protocol.version'] = \substr($server['SERVER_PROTOCOL'], 5);
        }
        // Every value is at most as long as one of these terms (redacting can make a query up to five
        // times longer plus 8: "a=&b=" becomes "a=REDACTED&b=REDACTED"): when they fit together, each
        // fits; only otherwise is each value checked and cut.
        if (\strlen($uri) + 5 * \strlen($query) + 8 + \strlen($route) + \strlen($host) + \strlen($client) + \strlen($agent) + 64
            + (isset($attributes['network.protocol.version']) ? \strlen($attributes['network.protocol.version']) : 0) > $maxAttributeLength) {
            foreach ($attributes as $key => $value) {
                if (\is_string($value) && \strlen($value) > $maxAttributeLength) {
                    $attributes[$key] = \substr($value, 0, $maxAttributeLength);
                }
            }
        }
        $name = $route !== '' ? $nameMethod . ' ' . $route : $nameMethod;
        return [$name, $attributes];
    }

    public static function redactQuery(string $query): string
    {
        $parts = \explode('&', $query);
        foreach ($parts as $i => $part) {
            $eq = \strpos($part, '=');
            if ($eq === false) {
                continue;
            }
            $key = \strtolower(\rawurldecode(\substr($part, 0, $eq)));
            $bracket = \strpos($key, '[');
            if ($bracket !== false) {
                $key = \substr($key, 0, $bracket);
            }
            if (\in_array($key, self::SENSITIVE_KEYS, true)) {
                $parts[$i] = \substr($part, 0, $eq) . '=REDACTED';
            }
        }
        return \implode('&', $parts);
    }
}
