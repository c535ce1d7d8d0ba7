<?php
// Benchmark floor, not tracekit: the least a PHP request can do to hand one
// span to a local OTLP/HTTP receiver, as the design has it (one request per
// page, over a unix socket, never waiting for the answer). At shutdown it
// writes a fixed OTLP/JSON export (one SERVER span with a resource, the size
// of the bootstrap's about.php export) on a kept non-blocking connection,
// after reading away the previous answer. No configuration, no ids, no clock,
// no attributes of the request: whatever tracekit's bootstrap costs above
// this row is the bootstrap's own; what this row costs is the handoff's.
// BENCH_FLOOR_ENDPOINT=unix:///path picks the receiver; file:///path instead
// appends the export as one line to /path.PID (not OTLP/HTTP: what handing
// spans over through a file would cost the page, for comparison).
namespace TracekitBench;

\register_shutdown_function(static function () {
    $endpoint = \getenv('BENCH_FLOOR_ENDPOINT');
    if (!\is_string($endpoint) || $endpoint === '') {
        return;
    }
    $body = '{"resourceSpans":[{"resource":{"attributes":['
        . '{"key":"service.name","value":{"stringValue":"bench"}},'
        . '{"key":"telemetry.sdk.name","value":{"stringValue":"tracekit-php"}},'
        . '{"key":"telemetry.sdk.language","value":{"stringValue":"php"}},'
        . '{"key":"telemetry.sdk.version","value":{"stringValue":"0.1.0"}},'
        . '{"key":"host.name","value":{"stringValue":"bench-host"}},'
        . '{"key":"process.runtime.name","value":{"stringValue":"fpm-fcgi"}},'
        . '{"key":"process.runtime.version","value":{"stringValue":"8.2.35"}}]},'
        . '"scopeSpans":[{"scope":{"name":"tracekit-php","version":"0.1.0"},"spans":[{'
        . '"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /about.php","kind":2,'
        . '"startTimeUnixNano":"1763700000000000000","endTimeUnixNano":"1763700000000100000",'
        . '"attributes":['
        . '{"key":"http.request.method","value":{"stringValue":"GET"}},'
        . '{"key":"url.path","value":{"stringValue":"/about.php"}},'
        . '{"key":"url.scheme","value":{"stringValue":"http"}},'
        . '{"key":"server.address","value":{"stringValue":"127.0.0.1"}},'
        . '{"key":"server.port","value":{"intValue":"8080"}},'
        . '{"key":"client.address","value":{"stringValue":"127.0.0.1"}},'
        . '{"key":"user_agent.original","value":{"stringValue":"wrk"}},'
        . '{"key":"http.response.status_code","value":{"intValue":"200"}}],'
        . '"status":{}}]}]}]}';
    if (\strncmp($endpoint, 'file://', 7) === 0) {
        // Not OTLP/HTTP: one line appended to a file of this worker's own, for a reader to take in
        // batches later (what a file handoff would cost the page; the reader's cost is not counted).
        \file_put_contents(\substr($endpoint, 7) . '.' . \getmypid(), $body . "\n", \FILE_APPEND);
        return;
    }
    $errno = 0;
    $errstr = '';
    $socket = @\stream_socket_client($endpoint, $errno, $errstr, 0.005, \STREAM_CLIENT_CONNECT | \STREAM_CLIENT_PERSISTENT);
    if (!\is_resource($socket)) {
        return;
    }
    \stream_set_blocking($socket, false);
    \fread($socket, 8192);
    $request = "POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
        . \strlen($body) . "\r\n\r\n" . $body;
    if (\fwrite($socket, $request) !== \strlen($request)) {
        \fclose($socket);
    }
});
