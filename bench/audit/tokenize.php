<?php
/*
 * The audit benchmark's baseline: PHP's own C tokenizer over the same file
 * list the audit reads. Reads each file once and runs token_get_all() on it,
 * which is the least any PHP-aware tool has to do. Prints one JSON line:
 * {"files":N,"bytes":N,"tokens":N}.
 *
 * Usage: php -d memory_limit=-1 bench/audit/tokenize.php LIST
 * LIST holds one absolute path per line.
 */
if ($argc !== 2) {
    fwrite(STDERR, "usage: php tokenize.php LIST\n");
    exit(2);
}
$list = file($argv[1], FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES);
if ($list === false) {
    fwrite(STDERR, "cannot read the file list {$argv[1]}\n");
    exit(2);
}
$files = 0;
$bytes = 0;
$tokens = 0;
foreach ($list as $path) {
    $source = file_get_contents($path);
    if ($source === false) {
        fwrite(STDERR, "cannot read {$path}\n");
        exit(1);
    }
    $files++;
    $bytes += strlen($source);
    $tokens += count(token_get_all($source));
}
echo json_encode(array('files' => $files, 'bytes' => $bytes, 'tokens' => $tokens)), "\n";
