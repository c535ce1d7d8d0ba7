<?php
require_once __DIR__ . '/inc/db.php';

$orders = db_fetch_all(
    'SELECT o.id, c.name AS customer, o.status, o.placed_on, SUM(i.qty * i.unit_price) AS total'
    . ' FROM orders o JOIN customers c ON c.id = o.customer_id JOIN order_items i ON i.order_id = o.id'
    . ' GROUP BY o.id, c.name, o.status, o.placed_on ORDER BY o.id'
);
if ($orders === false) {
    render_error(500, 'Orders could not be loaded (database error ' . db_errno() . ').');
    exit;
}

render('header.phtml', array('title' => 'Orders'));
?>
<table>
  <tr><th>Order</th><th>Customer</th><th>Status</th><th>Placed on</th><th>Total</th></tr>
<?php foreach ($orders as $o): ?>
  <tr>
    <td><a href="/order.php?id=<?= (int) $o['id'] ?>">#<?= (int) $o['id'] ?></a></td>
    <td><?= h($o['customer']) ?></td>
    <td><?= h($o['status']) ?></td>
    <td><?= h($o['placed_on']) ?></td>
    <td class="num"><?= money($o['total']) ?></td>
  </tr>
<?php endforeach; ?>
</table>
<?php
render('footer.phtml');
