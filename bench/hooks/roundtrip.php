<?php
// One native `SELECT 1` round trip to the local MariaDB, untraced, timed over
// N queries: run.mjs starts it with php and mariadbd on the same CPU, on two
// different CPUs, and wherever the scheduler puts them, to show where the
// bimodal round trip of this virtual machine comes from.
//   php bench/hooks/roundtrip.php N   -> {"wallMicros": …, "cpuMicros": …}
$n = isset($argv[1]) ? (int) $argv[1] : 5000;
mysqli_report(MYSQLI_REPORT_OFF);
$link = mysqli_connect('localhost', getenv('LEGACY_DB_USER'), getenv('LEGACY_DB_PASSWORD'), getenv('LEGACY_DB_NAME'), 0, getenv('LEGACY_DB_SOCKET'));
if (!$link) {
    fwrite(STDERR, 'expected to connect to MariaDB through LEGACY_DB_SOCKET, found: ' . mysqli_connect_error() . "\n");
    exit(2);
}
$cpu = function () {
    $r = getrusage();
    return $r['ru_utime.tv_sec'] + $r['ru_utime.tv_usec'] / 1e6 + $r['ru_stime.tv_sec'] + $r['ru_stime.tv_usec'] / 1e6;
};
for ($i = 0; $i < 500; $i++) {
    mysqli_free_result(mysqli_query($link, 'SELECT 1'));
}
$c = $cpu();
$t = hrtime(true);
for ($i = 0; $i < $n; $i++) {
    mysqli_free_result(mysqli_query($link, 'SELECT 1'));
}
$wall = (hrtime(true) - $t) / 1e3 / $n;
echo json_encode(['wallMicros' => $wall, 'cpuMicros' => ($cpu() - $c) * 1e6 / $n]), "\n";
