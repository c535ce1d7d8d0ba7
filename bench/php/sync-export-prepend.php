<?php
// Benchmark stand-in for an at-shutdown synchronous exporter (what the
// official SDK's simple/batch processor does at the end of a php-fpm request):
// a new connection per request, one OTLP/JSON POST, and waiting for the
// collector's answer before the request may end. Not part of tracekit.
// BENCH_COLLECTOR=127.0.0.1:PORT picks the collector.
namespace TracekitBench;

\register_shutdown_function(static function () {
    $collector = \getenv('BENCH_COLLECTOR');
    if (!\is_string($collector) || $collector === '') {
        return;
    }
    $now = \explode(' ', \microtime());
    $nanos = $now[1] . \substr($now[0], 2, 6) . '000';
    $body = \json_encode(['resourceSpans' => [[
        'resource' => ['attributes' => [['key' => 'service.name', 'value' => ['stringValue' => 'bench-sync']]]],
        'scopeSpans' => [['scope' => ['name' => 'bench'], 'spans' => [[
            'traceId' => \bin2hex(\random_bytes(16)), 'spanId' => \bin2hex(\random_bytes(8)), 'name' => 'GET', 'kind' => 2,
            'startTimeUnixNano' => $nanos, 'endTimeUnixNano' => $nanos, 'attributes' => [],
        ]]]],
    ]]]);
    $errno = 0;
    $errstr = '';
    $socket = @\stream_socket_client('tcp://' . $collector, $errno, $errstr, 10.0);
    if (!\is_resource($socket)) {
        return;
    }
    \fwrite($socket, "POST /v1/traces HTTP/1.1\r\nHost: $collector\r\nContent-Type: application/json\r\nContent-Length: " . \strlen($body) . "\r\nConnection: close\r\n\r\n" . $body);
    \stream_set_timeout($socket, 10);
    while (!\feof($socket)) {
        if (\fread($socket, 8192) === false) {
            break;
        }
    }
    \fclose($socket);
});
