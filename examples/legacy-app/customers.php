<?php
/*
 * Customer list. Written before inc/db.php existed and never moved over.
 * TODO: use db_fetch_all() like the other pages.
 */
require_once __DIR__ . '/config.php';
require_once __DIR__ . '/inc/functions.php';
require_once __DIR__ . '/inc/compat.php';

$link = @mysqli_connect($config['db_host'], $config['db_user'], $config['db_password'], $config['db_name'], $config['db_port'], $config['db_socket']);
if (!$link) {
    render_error(500, t('db_down'));
    exit;
}
mysqli_set_charset($link, 'utf8mb4');

$city = isset($_GET['city']) ? (string) $_GET['city'] : '';
$sql = 'SELECT id, name, city FROM customers';
if ($city !== '') {
    $sql .= ' WHERE city = ' . mysqli_quote($link, $city);
}
$sql .= ' ORDER BY name';

$result = mysqli_query($link, $sql);
if (!$result) {
    render_error(500, 'Customers could not be loaded (database error ' . mysqli_errno($link) . ').');
    exit;
}

render('header.phtml', array('title' => 'Customers'));
echo '<p>' . mysqli_num_rows($result) . " customers</p>\n<ul>\n";
while ($row = mysqli_fetch_assoc($result)) {
    echo '  <li><a href="/customer.php?id=' . (int) $row['id'] . '">' . h($row['name']) . '</a> (' . h($row['city']) . ")</li>\n";
}
echo "</ul>\n";
mysqli_free_result($result);
mysqli_close($link);
render('footer.phtml');
