<?php
/*
 * Corner Shop configuration.
 *
 * Every database setting can come from the environment so the same code runs
 * on the old box, in staging (php-fpm `env[LEGACY_DB_HOST] = ...`) and in the
 * tests, which start their own MariaDB on a temporary unix socket.
 * php-fpm passes env[] values as real environment variables, the built-in
 * server and some FastCGI setups only fill $_SERVER, so both are read.
 */

function legacy_env($name, $default)
{
    if (isset($_SERVER[$name]) && is_string($_SERVER[$name])) {
        return $_SERVER[$name];
    }
    $value = getenv($name);
    if ($value !== false) {
        return $value;
    }
    return $default;
}

$config = array(
    'db_host'     => legacy_env('LEGACY_DB_HOST', '127.0.0.1'),
    'db_port'     => (int) legacy_env('LEGACY_DB_PORT', '3306'),
    'db_socket'   => legacy_env('LEGACY_DB_SOCKET', ''),
    'db_user'     => legacy_env('LEGACY_DB_USER', 'shop'),
    'db_password' => legacy_env('LEGACY_DB_PASSWORD', 'shop'),
    'db_name'     => legacy_env('LEGACY_DB_NAME', 'shop'),
    'shop_name'   => 'Corner Shop',
    'currency'    => 'EUR',
);

// mysqlnd only uses the socket when the host is "localhost".
if ($config['db_socket'] !== '') {
    $config['db_host'] = 'localhost';
}

// PHP 8.1 made mysqli throw by default; the shop was written for 7.x, where
// failures are reported by return values, and every page checks them.
mysqli_report(MYSQLI_REPORT_OFF);
