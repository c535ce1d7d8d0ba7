<?php
namespace Tracekit\Runtime;

/**
 * Sends one OTLP/HTTP request to the sidecar within a hard budget shared by
 * connect, write and reading the status line; no retries, no DNS, and the
 * response body is never waited for. The sidecar answers at once, so on a
 * healthy host the budget is never reached. Returns what happened instead of
 * throwing, and must run with warnings already silenced by the caller (see
 * Bootstrap::quietly): a refused connect or a reset emits one.
 */
final class Exporter
{
    const SENT = 'sent';
    const ACCEPTED = 'accepted';
    const CONNECT_FAILED = 'connect_failed';
    const WRITE_FAILED = 'write_failed';
    const TIMEOUT = 'timeout';
    const REJECTED = 'rejected';

    public static function send(Config $config, string $body): string
    {
        $budget = $config->exportTimeoutMillis / 1000.0;
        $deadline = \microtime(true) + $budget;
        $errno = 0;
        $errstr = '';
        $socket = \stream_socket_client($config->transport, $errno, $errstr, $budget, \STREAM_CLIENT_CONNECT);
        if (!\is_resource($socket)) {
            return self::CONNECT_FAILED;
        }
        try {
            \stream_set_blocking($socket, false);
            $request = 'POST ' . $config->httpPath . " HTTP/1.1\r\n"
                . 'Host: ' . $config->httpHost . "\r\n"
                . "Content-Type: application/json\r\n"
                . 'Content-Length: ' . \strlen($body) . "\r\n"
                . "User-Agent: tracekit-php/" . $config->version . "\r\n"
                . "Connection: close\r\n\r\n"
                . $body;
            while ($request !== '') {
                $written = \fwrite($socket, $request);
                if ($written === false) {
                    return self::WRITE_FAILED;
                }
                if ($written > 0) {
                    $request = (string) \substr($request, $written);
                    continue;
                }
                $left = $deadline - \microtime(true);
                if ($left <= 0) {
                    return self::TIMEOUT;
                }
                $read = null;
                $write = [$socket];
                $except = null;
                if (\stream_select($read, $write, $except, 0, (int) ($left * 1000000)) === false) {
                    return self::WRITE_FAILED;
                }
            }
            // Reading the status line tells us the sidecar took the batch; it
            // also keeps the close clean (no reset while the sidecar replies).
            $response = '';
            while (\strlen($response) < 12) {
                $left = $deadline - \microtime(true);
                if ($left <= 0) {
                    return self::SENT;
                }
                $read = [$socket];
                $write = null;
                $except = null;
                $ready = \stream_select($read, $write, $except, 0, (int) ($left * 1000000));
                if ($ready === false) {
                    return self::SENT;
                }
                if ($ready === 0) {
                    continue;
                }
                $chunk = \fread($socket, 64);
                if (!\is_string($chunk) || $chunk === '') {
                    // Readable but empty is end of stream: the sidecar closed without a status line.
                    return self::SENT;
                }
                $response .= $chunk;
            }
            return \substr($response, 9, 1) === '2' ? self::ACCEPTED : self::REJECTED;
        } finally {
            \fclose($socket);
        }
    }
}
