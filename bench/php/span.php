<?php
// Micro-benchmark of the per-span hot path: the clock, the ids, a full span
// with six attributes started and ended, the compact client call the
// mysqli/PDO hooks record per query (Tracer::beginCall + endCall), and the
// wrap-mode bookkeeping around one traced query (Db::begin + Db::done, no
// database: the link is a plain object remembered as a connection to
// localhost/shop). A call becomes a Span only when the spans are taken at
// export (Tracer::takeFinished()): that is timed apart, per span.
//   php -d opcache.enable_cli=1 bench/php/span.php [iterations]
require __DIR__ . '/../../php-bootstrap/load.php';
require __DIR__ . '/../../hooks/src/Sanitizer.php';
require __DIR__ . '/../../hooks/src/Db.php';

use Tracekit\Hooks\Db;
use Tracekit\Runtime\Clock;
use Tracekit\Runtime\Config;
use Tracekit\Runtime\Ids;
use Tracekit\Runtime\Span;
use Tracekit\Runtime\Tracer;

$n = isset($argv[1]) ? (int) $argv[1] : 200000;
$config = Config::resolve(['serviceName' => 'bench'], function ($name) { return false; });
Tracer::activate($config, null);
$root = Tracer::startSpan('GET /bench', Span::KIND_SERVER, ['http.request.method' => 'GET']);

function passThrough(...$args)
{
    return \strlen(...$args);
}

/** Best of 5 rounds of $n, in chunks of 500 (a request's worth of spans), taken out of the tracer between chunks, untimed. */
function measure(string $label, int $n, callable $work): void
{
    $work(500);
    Tracer::takeFinished();
    $best = INF;
    for ($r = 0; $r < 5; $r++) {
        $spent = 0;
        for ($done = 0; $done < $n; $done += 500) {
            $t = hrtime(true);
            $work(500);
            $spent += hrtime(true) - $t;
            Tracer::takeFinished();
        }
        $best = min($best, $spent / $n / 1e3);
    }
    printf("%-60s %7.3f µs (best of 5)\n", $label, $best);
}

measure('empty loop', $n, function ($n) { for ($i = 0; $i < $n; $i++) { } });
$sql = \str_repeat('SELECT 1', 1);
measure('strlen() called directly', $n, function ($n) use ($sql) { for ($i = 0; $i < $n; $i++) { \strlen($sql); } });
measure('a variadic wrapper around it (as Tracekit\\Wrap passes arguments)', $n, function ($n) use ($sql) { for ($i = 0; $i < $n; $i++) { passThrough($sql); } });
measure('Clock::nowNanos()', $n, function ($n) { for ($i = 0; $i < $n; $i++) { Clock::nowNanos(); } });
measure('Ids::spanId()', $n, function ($n) { for ($i = 0; $i < $n; $i++) { Ids::spanId(); } });
$attributes = ['db.system.name' => 'mysql', 'db.query.text' => 'SELECT ?', 'db.operation.name' => 'SELECT', 'db.namespace' => 'shop', 'server.address' => 'localhost', 'tracekit.db.call' => 'mysqli_query'];
measure('Tracer::startSpan() + end(), six attributes (a full Span)', $n, function ($n) use ($attributes) {
    for ($i = 0; $i < $n; $i++) {
        Tracer::startSpan('SELECT shop', Span::KIND_CLIENT, $attributes)->end();
    }
});
$template = Tracer::clientTemplate('SELECT shop', $attributes);
measure('Tracer::beginCall() + endCall(), the same six (a call)', $n, function ($n) use ($template) {
    for ($i = 0; $i < $n; $i++) {
        Tracer::endCall(Tracer::beginCall($template));
    }
});
$link = new stdClass();
Db::remember($link, Db::mysqliTarget('localhost', 'shop', 0, null));
measure('Db::begin() + Db::done() for mysqli_query (no database)', $n, function ($n) use ($link) {
    for ($i = 0; $i < $n; $i++) {
        $args = [$link, 'SELECT 1'];
        $span = Db::begin('mysqli_query', null, $args);
        Db::done($span, 'mysqli_query', null, $args, true);
    }
});
// At export: 500 calls taken out of the tracer as Spans (ids, timestamps, attributes).
$best = INF;
for ($r = 0; $r < 5; $r++) {
    $spent = 0;
    for ($done = 0; $done < $n; $done += 500) {
        for ($i = 0; $i < 500; $i++) {
            Tracer::endCall(Tracer::beginCall($template));
        }
        $t = hrtime(true);
        Tracer::takeFinished();
        $spent += hrtime(true) - $t;
    }
    $best = min($best, $spent / $n / 1e3);
}
printf("%-60s %7.3f µs (best of 5)\n", 'Tracer::takeFinished(), per call made into a Span (export)', $best);
