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

    /**
     * @param array<string, mixed> $server CGI variables as in HttpRequest::VARIABLES
     * @return array{0: string, 1: array<string, mixed>} span name and attributes
     */
    public static function describe(array $server, string $routeSource): array
    {
        $method = self::str($server, 'REQUEST_METHOD');
        $attributes = [];
        if (\in_array($method, self::KNOWN_METHODS, true)) {
            $attributes['http.request.method'] = $method;
            $nameMethod = $method;
        } else {
            $attributes['http.request.method'] = '_OTHER';
            if ($method !== '') {
                $attributes['http.request.method_original'] = \substr($method, 0, 64);
            }
            $nameMethod = 'HTTP';
        }

        $uri = self::str($server, 'REQUEST_URI');
        $question = \strpos($uri, '?');
        $path = $question === false ? $uri : \substr($uri, 0, $question);
        if ($path !== '') {
            $attributes['url.path'] = $path;
        }
        $query = self::str($server, 'QUERY_STRING');
        if ($query === '' && $question !== false) {
            $query = (string) \substr($uri, $question + 1);
        }
        if ($query !== '') {
            $attributes['url.query'] = self::redactQuery($query);
        }

        $https = self::str($server, 'HTTPS');
        $scheme = ($https !== '' && \strtolower($https) !== 'off') ? 'https' : (self::str($server, 'REQUEST_SCHEME') === 'https' ? 'https' : 'http');
        $attributes['url.scheme'] = $scheme;

        $route = '';
        if ($routeSource === 'script') {
            $route = self::str($server, 'SCRIPT_NAME');
        }
        if ($route !== '') {
            $attributes['http.route'] = $route;
        }

        $host = self::str($server, 'HTTP_HOST');
        if ($host === '') {
            $host = self::str($server, 'SERVER_NAME');
        }
        if ($host !== '') {
            $attributes['server.address'] = self::stripPort($host);
        }
        $port = self::str($server, 'SERVER_PORT');
        if ($port !== '' && \strlen($port) <= 5 && \strspn($port, '0123456789') === \strlen($port)) {
            $attributes['server.port'] = (int) $port;
        }
        $client = self::str($server, 'REMOTE_ADDR');
        if ($client !== '') {
            $attributes['client.address'] = $client;
        }
        $agent = self::str($server, 'HTTP_USER_AGENT');
        if ($agent !== '') {
            $attributes['user_agent.original'] = $agent;
        }
        $protocol = self::str($server, 'SERVER_PROTOCOL');
        if (\strncmp($protocol, 'HTTP/', 5) === 0) {
            $attributes['network.protocol.version'] = \substr($protocol, 5);
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

    /** @param array<string, mixed> $server */
    private static function str(array $server, string $key): string
    {
        return isset($server[$key]) && \is_string($server[$key]) ? $server[$key] : '';
    }

    private static function stripPort(string $host): string
    {
        if ($host[0] === '[') {
            $close = \strpos($host, ']');
            return $close === false ? $host : \substr($host, 0, $close + 1);
        }
        $colon = \strrpos($host, ':');
        return $colon === false ? $host : \substr($host, 0, $colon);
    }
}
