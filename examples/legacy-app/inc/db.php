<?php
/*
 * The database layer: every page should go through these functions.
 *
 * db_query() returns the mysqli result or false, like mysqli_query() did;
 * db_errno() tells why. A failed connection renders the error page and ends
 * the request. The link is opened lazily, once per request.
 *
 * Do not call mysqli_query() directly in new pages (customers.php and
 * low_stock.php still do; see the TODO in each).
 */
require_once __DIR__ . '/../config.php';
require_once __DIR__ . '/compat.php';
require_once __DIR__ . '/functions.php';

$DB_LINK = null;

function db_connect()
{
    global $DB_LINK, $config;
    if ($DB_LINK) {
        return $DB_LINK;
    }
    $link = @mysqli_connect(
        $config['db_host'],
        $config['db_user'],
        $config['db_password'],
        $config['db_name'],
        $config['db_port'],
        $config['db_socket']
    );
    if (!$link) {
        render_error(500, t('db_down') . ' (error ' . mysqli_connect_errno() . ')');
        exit;
    }
    mysqli_set_charset($link, 'utf8mb4');
    $DB_LINK = $link;
    return $link;
}

function db_query($sql)
{
    $link = db_connect();
    return mysqli_query($link, $sql);
}

function db_fetch_all($sql)
{
    $result = db_query($sql);
    if ($result === false) {
        return false;
    }
    $rows = mysqli_result_to_array($result);
    mysqli_free_result($result);
    return $rows;
}

function db_fetch_one($sql)
{
    $result = db_query($sql);
    if ($result === false) {
        return false;
    }
    $row = mysqli_fetch_assoc($result);
    mysqli_free_result($result);
    return $row ? $row : null;
}

function db_escape($value)
{
    return mysqli_real_escape_string(db_connect(), (string) $value);
}

function db_insert_id()
{
    return mysqli_insert_id(db_connect());
}

function db_errno()
{
    return mysqli_errno(db_connect());
}
