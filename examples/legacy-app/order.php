<?php
require_once __DIR__ . '/inc/db.php';

$id = request_int('id', 0);
if ($id === null) {
    render_error(400, 'The order id must be a number.');
    exit;
}
$order = db_fetch_one(
    'SELECT o.id, o.status, o.placed_on, c.name AS customer FROM orders o'
    . ' JOIN customers c ON c.id = o.customer_id WHERE o.id = ' . $id
);
if (!$order) {
    render_error(404, 'No such order.');
    exit;
}
$items = db_fetch_all(
    'SELECT p.sku, p.name, i.qty, i.unit_price FROM order_items i'
    . ' JOIN products p ON p.id = i.product_id WHERE i.order_id = ' . $id . ' ORDER BY p.sku'
);
if ($items === false) {
    render_error(500, 'Order lines could not be loaded (database error ' . db_errno() . ').');
    exit;
}
$total = 0;

render('header.phtml', array('title' => 'Order #' . $order['id']));
?>
<p>Customer: <?= h($order['customer']) ?>. Status: <?= h($order['status']) ?>. Placed on <?= h($order['placed_on']) ?>.</p>
<table>
  <tr><th>SKU</th><th>Product</th><th>Qty</th><th>Unit price</th><th>Line total</th></tr>
<?php foreach ($items as $item):
    $line = $item['qty'] * $item['unit_price'];
    $total += $line;
?>
  <tr>
    <td><?= h($item['sku']) ?></td>
    <td><?= h($item['name']) ?></td>
    <td class="num"><?= (int) $item['qty'] ?></td>
    <td class="num"><?= money($item['unit_price']) ?></td>
    <td class="num"><?= money($line) ?></td>
  </tr>
<?php endforeach; ?>
  <tr><td colspan="4">Total</td><td class="num"><?= money($total) ?></td></tr>
</table>
<?php
render('footer.phtml');
