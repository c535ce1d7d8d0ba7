<?php
// Per-query cost of tracekit's wrap-mode spans: the same loop of N queries,
// native vs traced (Tracekit\Wrap), in one php-cli process with the runtime
// active (loaded by tracekit-prepend.php, exporting to a sidecar). Rounds
// alternate which side runs first; every side gets one warm-up loop. Spans
// of a round are taken out of the tracer between rounds (the last round's
// are exported at shutdown), so memory stays flat across rounds.
//   php -d auto_prepend_file=…/tracekit-prepend.php bench/hooks/loop.php N ROUNDS
$n = isset($argv[1]) ? (int) $argv[1] : 10000;
$rounds = isset($argv[2]) ? (int) $argv[2] : 5;
$active = class_exists('Tracekit\\Runtime\\Tracer', false) && Tracekit\Runtime\Tracer::isActive();
if (!$active || !function_exists('Tracekit\\Wrap\\mysqli_query')) {
    fwrite(STDERR, "expected the tracekit runtime active and the hooks file loaded by the prepend\n");
    exit(2);
}
mysqli_report(MYSQLI_REPORT_OFF);
$host = 'localhost';
$args = [$host, getenv('LEGACY_DB_USER'), getenv('LEGACY_DB_PASSWORD'), getenv('LEGACY_DB_NAME'), 0, getenv('LEGACY_DB_SOCKET')];
$dsn = 'mysql:unix_socket=' . getenv('LEGACY_DB_SOCKET') . ';dbname=' . getenv('LEGACY_DB_NAME');

$plainLink = mysqli_connect(...$args);
$tracedLink = \Tracekit\Wrap\mysqli_connect(...$args);
$plainOo = new mysqli(...$args);
$tracedOo = new \Tracekit\Wrap\Mysqli(...$args);
$plainPdo = new PDO($dsn, $args[1], $args[2]);
$tracedPdo = new \Tracekit\Wrap\Pdo($dsn, $args[1], $args[2]);
$plainStmt = $plainPdo->prepare('SELECT ?');
$tracedStmt = $tracedPdo->prepare('SELECT ?');

$cases = [
    'mysqli_query (procedural)' => [
        function ($n) use ($plainLink) { for ($i = 0; $i < $n; $i++) { mysqli_free_result(mysqli_query($plainLink, 'SELECT 1')); } },
        function ($n) use ($tracedLink) { for ($i = 0; $i < $n; $i++) { mysqli_free_result(\Tracekit\Wrap\mysqli_query($tracedLink, 'SELECT 1')); } },
    ],
    'mysqli::query (OO)' => [
        function ($n) use ($plainOo) { for ($i = 0; $i < $n; $i++) { $plainOo->query('SELECT 1')->free(); } },
        function ($n) use ($tracedOo) { for ($i = 0; $i < $n; $i++) { $tracedOo->query('SELECT 1')->free(); } },
    ],
    'PDOStatement::execute (prepared)' => [
        function ($n) use ($plainStmt) { for ($i = 0; $i < $n; $i++) { $plainStmt->execute([1]); $plainStmt->closeCursor(); } },
        function ($n) use ($tracedStmt) { for ($i = 0; $i < $n; $i++) { $tracedStmt->execute([1]); $tracedStmt->closeCursor(); } },
    ],
];

$time = function (callable $f, $n) {
    $t = hrtime(true);
    $f($n);
    return (hrtime(true) - $t) / 1e9;
};
$out = [];
foreach ($cases as $name => $pair) {
    list($plain, $traced) = $pair;
    $time($plain, (int) ($n / 10));
    $time($traced, (int) ($n / 10));
    $p = [];
    $t = [];
    for ($r = 0; $r < $rounds; $r++) {
        if ($r % 2 === 0) {
            $p[] = $time($plain, $n);
            $t[] = $time($traced, $n);
        } else {
            $t[] = $time($traced, $n);
            $p[] = $time($plain, $n);
        }
        $spans = count(Tracekit\Runtime\Tracer::takeFinished());
    }
    $out[$name] = ['plain' => $p, 'traced' => $t, 'spansPerRound' => $spans];
}
// What the runtime alone charges per span (no query, no wrapper): the floor under every traced call.
$bare = [];
for ($r = 0; $r < $rounds; $r++) {
    $bare[] = $time(function ($n) {
        for ($i = 0; $i < $n; $i++) {
            Tracekit\Runtime\Tracer::startSpan('SELECT shop', Tracekit\Runtime\Span::KIND_CLIENT, ['db.system.name' => 'mysql', 'db.query.text' => 'SELECT ?', 'db.operation.name' => 'SELECT', 'db.namespace' => 'shop', 'server.address' => 'localhost', 'tracekit.db.call' => 'mysqli_query'])->end();
        }
    }, $n);
    Tracekit\Runtime\Tracer::takeFinished();
}
// One small traced batch left for the exporter, to show spans reach the sidecar.
\Tracekit\Wrap\mysqli_query($tracedLink, 'SELECT 1');
echo json_encode(['n' => $n, 'rounds' => $rounds, 'php' => PHP_VERSION, 'cases' => $out, 'bareSpan' => $bare]), "\n";
