<?php
// Per-query cost of tracekit's wrap-mode spans: the same loop of N queries,
// native vs traced (Tracekit\Wrap), in one php-cli process with the runtime
// active (loaded by tracekit-prepend.php, exporting to a sidecar). Each round
// interleaves the sides in chunks of n/40 queries; every side gets one warm-up
// loop. After every chunk its spans are taken out of the tracer (a request's
// worth, under the runtime's default limit of 512 spans), so all are recorded;
// that hand-over is what the runtime does once per request at shutdown, and
// it is timed on its own (export-time cost per span). Each side's wall time,
// the process's CPU time (user + system, getrusage) and mariadbd's on-CPU time
// (TRACEKIT_BENCH_DB_PID) are summed per round; gc_status() shows whether the
// cycle collector ran.
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

// customer.php's order list for customer 1 (examples/legacy-app), as a query a page really makes.
const PAGE_QUERY = 'SELECT o.id, o.status, o.placed_on, SUM(i.qty * i.unit_price) AS total FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.customer_id = 1 GROUP BY o.id, o.status, o.placed_on ORDER BY o.id';

$cases = [
    'mysqli_query (procedural)' => [
        function ($n) use ($plainLink) { for ($i = 0; $i < $n; $i++) { mysqli_free_result(mysqli_query($plainLink, 'SELECT 1')); } },
        function ($n) use ($tracedLink) { for ($i = 0; $i < $n; $i++) { mysqli_free_result(\Tracekit\Wrap\mysqli_query($tracedLink, 'SELECT 1')); } },
    ],
    'mysqli_query, a page query (join + aggregate on the example schema)' => [
        function ($n) use ($plainLink) { for ($i = 0; $i < $n; $i++) { mysqli_free_result(mysqli_query($plainLink, PAGE_QUERY)); } },
        function ($n) use ($tracedLink) { for ($i = 0; $i < $n; $i++) { mysqli_free_result(\Tracekit\Wrap\mysqli_query($tracedLink, PAGE_QUERY)); } },
    ],
    'control: the page query native on both sides (shows the noise)' => [
        function ($n) use ($plainLink) { for ($i = 0; $i < $n; $i++) { mysqli_free_result(mysqli_query($plainLink, PAGE_QUERY)); } },
        function ($n) use ($tracedLink) { for ($i = 0; $i < $n; $i++) { mysqli_free_result(mysqli_query($tracedLink, PAGE_QUERY)); } },
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

$cpu = function () {
    $r = getrusage();
    return $r['ru_utime.tv_sec'] + $r['ru_utime.tv_usec'] / 1e6 + $r['ru_stime.tv_sec'] + $r['ru_stime.tv_usec'] / 1e6;
};
// mariadbd's on-CPU time (every thread, nanoseconds from /proc/<pid>/task/*/schedstat): with both
// processes on one CPU its share of a round trip grows when php's work has evicted its caches.
$serverPid = (int) getenv('TRACEKIT_BENCH_DB_PID');
$serverCpu = function () use ($serverPid) {
    if ($serverPid <= 0) {
        return 0;
    }
    $sum = 0;
    foreach (glob('/proc/' . $serverPid . '/task/*/schedstat') ?: [] as $file) {
        $sum += (int) explode(' ', (string) @file_get_contents($file))[0];
    }
    return $sum;
};
// [wall seconds, php CPU seconds, mariadbd CPU seconds] of $f($n); the /proc reads stay outside the wall time.
$time = function (callable $f, $n) use ($cpu, $serverCpu) {
    $s = $serverCpu();
    $c = $cpu();
    $t = hrtime(true);
    $f($n);
    $wall = (hrtime(true) - $t) / 1e9;
    $c = $cpu() - $c;
    return [$wall, $c, ($serverCpu() - $s) / 1e9];
};
$out = [];
$exportNanos = 0;
$exported = 0;
foreach ($cases as $name => $pair) {
    list($plain, $traced) = $pair;
    $time($plain, (int) ($n / 10));
    $time($traced, (int) ($n / 10));
    Tracekit\Runtime\Tracer::takeFinished();
    $p = [];
    $t = [];
    $pc = [];
    $tc = [];
    $ps = [];
    $ts = [];
    // Each chunk's wall time, both sides: a pair of neighbouring chunks shares the machine's state.
    // Allocated before the memory reading below, so that only the tracing's memory shows there.
    $chunks = 40;
    $pairPlain = array_fill(0, $rounds * $chunks, 0.0);
    $pairTraced = array_fill(0, $rounds * $chunks, 0.0);
    $recorded = 0;
    $gc = gc_status();
    $memory = memory_get_usage();
    $dropped = Tracekit\Runtime\Tracer::droppedSpans();
    // Each round interleaves the two sides in 40 chunks, alternating which goes first,
    // so that the load of a shared machine drifting during a round hits both sides alike.
    $size = (int) ($n / $chunks);
    for ($r = 0; $r < $rounds; $r++) {
        $pr = [0.0, 0.0, 0.0];
        $tr = [0.0, 0.0, 0.0];
        for ($c = 0; $c < $chunks; $c++) {
            if (($r + $c) % 2 === 0) {
                $a = $time($plain, $size);
                $b = $time($traced, $size);
            } else {
                $b = $time($traced, $size);
                $a = $time($plain, $size);
            }
            $pairPlain[$r * $chunks + $c] = $a[0];
            $pairTraced[$r * $chunks + $c] = $b[0];
            $pr[0] += $a[0];
            $pr[1] += $a[1];
            $pr[2] += $a[2];
            $tr[0] += $b[0];
            $tr[1] += $b[1];
            $tr[2] += $b[2];
            // A chunk is one request's worth: its spans are handed over as the export at the end of a
            // request does (Bootstrap: Tracer::takeFinished(), then OTLP/JSON encoding), so the tracer
            // never holds more than the runtime's default 512. Timed apart: it is not in the query loop.
            $e = hrtime(true);
            $spans = Tracekit\Runtime\Tracer::takeFinished();
            $exportNanos += hrtime(true) - $e;
            $exported += count($spans);
            $recorded += count($spans);
            $spans = null;
        }
        $p[] = $pr[0];
        $t[] = $tr[0];
        $pc[] = $pr[1];
        $tc[] = $tr[1];
        $ps[] = $pr[2];
        $ts[] = $tr[2];
    }
    $gcAfter = gc_status();
    $memoryGrowth = memory_get_usage() - $memory;
    $out[$name] = [
        'plain' => $p, 'traced' => $t, 'plainCpu' => $pc, 'tracedCpu' => $tc, 'plainServerCpu' => $ps, 'tracedServerCpu' => $ts,
        'pairs' => array_map(null, $pairPlain, $pairTraced), 'spansPerRound' => (int) ($recorded / $rounds), 'dropped' => Tracekit\Runtime\Tracer::droppedSpans() - $dropped,
        'gcRuns' => $gcAfter['runs'] - $gc['runs'], 'gcCollected' => $gcAfter['collected'] - $gc['collected'],
        'memoryGrowth' => $memoryGrowth,
    ];
}
// One small traced batch left for the exporter, to show spans reach the sidecar.
\Tracekit\Wrap\mysqli_query($tracedLink, 'SELECT 1');
echo json_encode(['n' => $n, 'rounds' => $rounds, 'php' => PHP_VERSION, 'opcache' => function_exists('opcache_get_status') && is_array(@opcache_get_status(false)), 'cases' => $out, 'takeFinishedMicrosPerSpan' => $exported > 0 ? $exportNanos / $exported / 1e3 : 0]), "\n";
