<?php
// Micro-benchmark of the runtime's per-request work outside the network:
// resolving the configuration, the root span, a few child spans and the
// OTLP/JSON encoding. Run: php bench/php/encode.php [iterations]
require __DIR__ . '/../../php-bootstrap/load.php';
require __DIR__ . '/protobuf-encoder.php';
require __DIR__ . '/export-spans.php';

use Tracekit\Runtime\Config;
use Tracekit\Runtime\HttpRequest;
use Tracekit\Runtime\OtlpJson;
use Tracekit\Runtime\ResourceInfo;
use Tracekit\Runtime\Span;
use Tracekit\Runtime\Tracer;

$n = isset($argv[1]) ? (int) $argv[1] : 20000;
$request = [
    'REQUEST_METHOD' => 'GET', 'REQUEST_URI' => '/product.php?id=4', 'QUERY_STRING' => 'id=4', 'SCRIPT_NAME' => '/product.php',
    'HTTP_HOST' => 'shop.test', 'SERVER_PORT' => '80', 'REMOTE_ADDR' => '10.0.0.1', 'HTTP_USER_AGENT' => 'Mozilla/5.0', 'SERVER_PROTOCOL' => 'HTTP/1.1',
];
$getenv = function ($name) { return false; };

function measure(string $label, int $n, callable $work): void
{
    $work();
    $t = microtime(true);
    for ($i = 0; $i < $n; $i++) {
        $work();
    }
    printf("%-55s %8.2f µs\n", $label, (microtime(true) - $t) / $n * 1e6);
}

measure('Config::resolve', $n, function () use ($getenv) { Config::resolve(['serviceName' => 'bench'], $getenv); });
$config = Config::resolve(['serviceName' => 'bench'], $getenv);
measure('root span start + end (HttpRequest::describe)', $n, function () use ($config, $request) {
    Tracer::activate($config, null);
    list($name, $attrs) = HttpRequest::describe($request, 'script');
    Tracer::startSpan($name, Span::KIND_SERVER, $attrs)->end();
    Tracer::takeFinished();
});
foreach ([1, 6, 50] as $spans) {
    list($finished, $resource) = \TracekitBench\exportSpans($config, $request, $spans);
    $bytes = strlen(OtlpJson::encode($finished, $resource, '0.1.0'));
    measure(sprintf('OtlpJson::encode of %d span(s) (%d bytes)', $spans, $bytes), $n, function () use ($finished, $resource) {
        OtlpJson::encode($finished, $resource, '0.1.0');
    });
    $proto = \TracekitBench\Protobuf::encode($finished, $resource, '0.1.0');
    measure(sprintf('hand-written protobuf, same %d span(s) (%d bytes)', $spans, strlen($proto)), $n, function () use ($finished, $resource) {
        \TracekitBench\Protobuf::encode($finished, $resource, '0.1.0');
    });
    if (getenv('BENCH_DUMP_PROTOBUF') !== false && $spans === 6) {
        file_put_contents(getenv('BENCH_DUMP_PROTOBUF'), $proto);
        file_put_contents(getenv('BENCH_DUMP_PROTOBUF') . '.json', OtlpJson::encode($finished, $resource, '0.1.0'));
    }
}
measure('ResourceInfo::attributes', $n, function () use ($config) { ResourceInfo::attributes($config); });
measure('get_declared_classes()', $n, function () { count(get_declared_classes()); });
