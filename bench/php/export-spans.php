<?php
// The spans of one traced request as the bench scripts build them (encode.php,
// sidecar-format.mjs): a SERVER root span described from $request, with
// $spans - 1 DB CLIENT spans under it, ended and taken from the tracer, and
// the resource they are exported with. Needs php-bootstrap/load.php.
namespace TracekitBench;

use Tracekit\Runtime\Config;
use Tracekit\Runtime\HttpRequest;
use Tracekit\Runtime\ResourceInfo;
use Tracekit\Runtime\Span;
use Tracekit\Runtime\Tracer;

/** @return array{0: array, 1: array} the finished spans and the resource attributes */
function exportSpans(Config $config, array $request, int $spans): array
{
    Tracer::activate($config, null);
    list($name, $attrs) = HttpRequest::describe($request, 'script');
    $root = Tracer::startSpan($name, Span::KIND_SERVER, $attrs);
    for ($i = 1; $i < $spans; $i++) {
        Tracer::startSpan('SELECT shop.products', Span::KIND_CLIENT, ['db.system.name' => 'mysql', 'db.query.text' => 'SELECT id, name, price FROM products WHERE id = ?', 'db.operation.name' => 'SELECT', 'db.namespace' => 'shop', 'server.address' => 'localhost'])->end();
    }
    $root->setAttribute('http.response.status_code', 200);
    $root->end();
    return array(Tracer::takeFinished(), ResourceInfo::attributes($config));
}
