<?php
require_once __DIR__ . '/inc/db.php';
require_once __DIR__ . '/inc/legacy/Stats.php';

use function Legacy\Stats\table_rows;

$link = db_connect();
$tables = array('customers', 'products', 'orders', 'order_items');

render('header.phtml', array('title' => 'Stats'));
?>
<table>
  <tr><th>Table</th><th>Rows</th></tr>
<?php foreach ($tables as $table): ?>
  <tr><td><?= h($table) ?></td><td class="num"><?= table_rows($link, $table) ?></td></tr>
<?php endforeach; ?>
</table>
<h3>Orders by status</h3>
<ul>
<?php foreach (\Legacy\Stats\status_breakdown($link) as $status => $n): ?>
  <li><?= h($status) ?>: <?= (int) $n ?></li>
<?php endforeach; ?>
</ul>
<?php
render('footer.phtml');
