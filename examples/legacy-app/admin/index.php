<?php
/*
 * Back-office dashboard. Object-oriented mysqli straight in the page (the
 * admin area was written separately and never used inc/db.php).
 */
require_once __DIR__ . '/../config.php';
require_once __DIR__ . '/../inc/functions.php';

$mysqli = @new mysqli($config['db_host'], $config['db_user'], $config['db_password'], $config['db_name'], $config['db_port'], $config['db_socket']);
if ($mysqli->connect_errno) {
    render_error(500, t('db_down'));
    exit;
}

$result = $mysqli->query(
    'SELECT o.status, COUNT(DISTINCT o.id) AS orders, SUM(i.qty * i.unit_price) AS revenue'
    . ' FROM orders o JOIN order_items i ON i.order_id = o.id GROUP BY o.status ORDER BY o.status'
);
if ($result === false) {
    render_error(500, 'Dashboard query failed (database error ' . $mysqli->errno . ').');
    exit;
}

render('header.phtml', array('title' => 'Back office'));
?>
<table>
  <tr><th>Status</th><th>Orders</th><th>Revenue</th></tr>
<?php while ($row = $result->fetch_assoc()): ?>
  <tr><td><?= h($row['status']) ?></td><td class="num"><?= (int) $row['orders'] ?></td><td class="num"><?= money($row['revenue']) ?></td></tr>
<?php endwhile; ?>
</table>
<?php
$result->free();
$mysqli->close();
render('footer.phtml');
