<?php
/*
 * PDO connection for the reporting pages (report.php, checkout.php).
 *
 * The reports were written by a contractor who preferred PDO; the rest of the
 * shop still uses the mysqli wrapper in db.php. Errors are exceptions here.
 */
require_once __DIR__ . '/../config.php';

/**
 * The request's PDO connection, opened on first use.
 *
 * @return PDO
 * @throws PDOException when the database is unreachable
 */
function shop_pdo()
{
    static $pdo = null;
    global $config;
    if ($pdo !== null) {
        return $pdo;
    }
    if ($config['db_socket'] !== '') {
        $dsn = 'mysql:unix_socket=' . $config['db_socket'];
    } else {
        $dsn = 'mysql:host=' . $config['db_host'] . ';port=' . $config['db_port'];
    }
    $dsn .= ';dbname=' . $config['db_name'] . ';charset=utf8mb4';
    $pdo = new PDO($dsn, $config['db_user'], $config['db_password'], array(
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC,
        PDO::ATTR_EMULATE_PREPARES => false,
    ));
    return $pdo;
}
