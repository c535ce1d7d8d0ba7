<?php
// Micro-benchmark of the SQL sanitiser (hooks/src/Sanitizer.php), the part
// of a traced query that runs on every statement the per-statement cache
// misses (legacy code that concatenates its literals misses it every time).
//   php bench/hooks/sanitize.php [N]
require __DIR__ . '/../../hooks/src/Sanitizer.php';
$n = isset($argv[1]) ? (int) $argv[1] : 20000;
$statements = [
    'short' => 'SELECT id FROM t WHERE id = 42',
    'page' => "SELECT o.id, o.status, o.placed_on, c.name AS customer FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = 12345 AND c.name = 'Alice' ORDER BY o.id",
    'insert 2 KiB' => 'INSERT INTO t (a, b, c) VALUES ' . rtrim(str_repeat("(1, 'text value', 2.5), ", 80), ', '),
];
foreach ($statements as $name => $sql) {
    $t = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        Tracekit\Hooks\Sanitizer::sanitize($sql . ' -- ' . $i);
    }
    printf("%-13s %5d bytes  %6.2f µs per statement\n", $name, strlen($sql), (hrtime(true) - $t) / 1e3 / $n);
}
