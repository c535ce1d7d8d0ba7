<?php
namespace Tracekit\Runtime;

/**
 * Hands one OTLP/HTTP request to the sidecar within a hard budget for
 * connect + write; no retries, no DNS, and no waiting for the answer.
 *
 * The connection is persistent (one per php-fpm worker, kept across
 * requests) and HTTP/1.1 keep-alive: the sidecar's answer to this export is
 * read, and dropped, at the start of the next one. Waiting for it instead
 * cost every request the sidecar's response time (~0.8 ms measured on the
 * benchmark machine, more under load), which is the budget the request path
 * cannot afford. Anything that goes wrong (connect refused, a partial write,
 * the budget running out) closes the connection so that the next export
 * starts clean.
 *
 * Must run with warnings silenced by the caller (Bootstrap::quietly): a
 * refused connect or a reset emits one.
 */
final class Exporter
{
    const SENT = 'sent';
    const CONNECT_FAILED = 'connect_failed';
    const WRITE_FAILED = 'write_failed';
    const TIMEOUT = 'timeout';

    /**
     * @param callable|null $beforeWaiting called once, before the first wait for the socket (Bootstrap
     *                                     releases the client there)
     */
    public static function send(Config $config, string $body, ?callable $beforeWaiting = null): string
    {
        $budget = $config->exportTimeoutMillis / 1000.0;
        $deadline = \microtime(true) + $budget;
        $socket = self::connection($config, $budget);
        if ($socket === null) {
            return self::CONNECT_FAILED;
        }
        $length = \strlen($body);
        // Interpolation: one allocation for the whole request (a chain of `.` reallocates at each step).
        $request = "POST {$config->httpPath} HTTP/1.1\r\nHost: {$config->httpHost}\r\nContent-Type: application/json\r\n"
            . "Content-Length: {$length}\r\nUser-Agent: tracekit-php/{$config->version}\r\n\r\n{$body}";
        while ($request !== '') {
            $written = \fwrite($socket, $request);
            if ($written === false) {
                \fclose($socket);
                return self::WRITE_FAILED;
            }
            if ($written > 0) {
                $request = (string) \substr($request, $written);
                continue;
            }
            if ($beforeWaiting !== null) {
                $beforeWaiting();
                $beforeWaiting = null;
            }
            $left = $deadline - \microtime(true);
            $read = null;
            $write = [$socket];
            $except = null;
            if ($left <= 0 || !\stream_select($read, $write, $except, 0, (int) ($left * 1000000))) {
                // Half a request on a keep-alive connection would corrupt the next one.
                \fclose($socket);
                return self::TIMEOUT;
            }
        }
        return self::SENT;
    }

    /** @return resource|null */
    private static function connection(Config $config, float $timeoutSeconds)
    {
        for ($attempt = 0; $attempt < 2; $attempt++) {
            $errno = 0;
            $errstr = '';
            $socket = \stream_socket_client($config->transport, $errno, $errstr, $timeoutSeconds, \STREAM_CLIENT_CONNECT | \STREAM_CLIENT_PERSISTENT);
            if (!\is_resource($socket)) {
                return null;
            }
            // A kept connection stays non-blocking from its first request: two fcntl() calls saved per export.
            // One that has carried an export has a position past 0 (PHP counts the bytes it moved: written
            // ones on PHP 8, read ones everywhere): ftell() says so without the array of ten fields
            // stream_get_meta_data() builds. Setting it again on a connection at 0 is harmless.
            if (\ftell($socket) === 0) {
                \stream_set_blocking($socket, false);
            }
            if (self::drain($socket)) {
                return $socket;
            }
            // The sidecar closed this kept connection (idle timeout, restart): open a fresh one, once.
            \fclose($socket);
        }
        return null;
    }

    /**
     * Reads and drops the answers to earlier exports. False when the peer has
     * closed the connection.
     *
     * @param resource $socket
     */
    private static function drain($socket): bool
    {
        // The answer to the previous export (~100 bytes), or nothing.
        \fread($socket, 8192);
        for ($i = 0; $i < 64; $i++) {
            // A peek tells the cases apart in one system call: false, nothing to read (alive and
            // drained); '', the peer closed; else more answers. A second read plus
            // stream_get_meta_data() to tell EAGAIN from EOF cost the same system call and ~4,000
            // more instructions (callgrind); feof() may poll for the socket timeout on PHP 7.
            $peek = \stream_socket_recvfrom($socket, 1, \STREAM_PEEK);
            if ($peek === false) {
                return true;
            }
            if ($peek === '') {
                return false;
            }
            \fread($socket, 8192);
        }
        return true;
    }
}
