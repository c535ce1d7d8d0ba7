<?php
// Micro-benchmark of the per-span hot path: the clock, the ids, a span with
// six attributes started and ended, and the wrap-mode bookkeeping around one
// traced query (Db::begin + Db::done, no database: the link is a plain
// object the hooks know nothing about, so its facts are the defaults).
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

function measure(string $label, int $n, callable $work): void
{
    $work(1000);
    $best = INF;
    for ($r = 0; $r < 5; $r++) {
        $t = hrtime(true);
        $work($n);
        $best = min($best, (hrtime(true) - $t) / $n / 1e3);
        Tracer::takeFinished();
    }
    printf("%-60s %7.3f µs (best of 5)\n", $label, $best);
}

measure('empty loop', $n, function ($n) { for ($i = 0; $i < $n; $i++) { } });
measure('Clock::nowNanos()', $n, function ($n) { for ($i = 0; $i < $n; $i++) { Clock::nowNanos(); } });
measure('Ids::spanId()', $n, function ($n) { for ($i = 0; $i < $n; $i++) { Ids::spanId(); } });
measure('Tracer::startSpan() + end(), six attributes', $n, function ($n) {
    for ($i = 0; $i < $n; $i++) {
        if ($i % 500 === 0) {
            Tracer::takeFinished();
        }
        Tracer::startSpan('SELECT shop', Span::KIND_CLIENT, ['db.system.name' => 'mysql', 'db.query.text' => 'SELECT ?', 'db.operation.name' => 'SELECT', 'db.namespace' => 'shop', 'server.address' => 'localhost', 'tracekit.db.call' => 'mysqli_query'])->end();
    }
});
$link = new stdClass();
measure('Db::begin() + Db::done() for mysqli_query (no database)', $n, function ($n) use ($link) {
    for ($i = 0; $i < $n; $i++) {
        if ($i % 500 === 0) {
            Tracer::takeFinished();
        }
        $args = [$link, 'SELECT 1'];
        $span = Db::begin('mysqli_query', null, $args);
        Db::done($span, 'mysqli_query', null, $args, true);
    }
});
