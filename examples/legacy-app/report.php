<?php
/*
 * Sales per product, optionally for one customer. PDO with prepared
 * statements (the contractor's code; see inc/pdo.php).
 */
require_once __DIR__ . '/config.php';
require_once __DIR__ . '/inc/functions.php';
require_once __DIR__ . '/inc/pdo.php';

$customerId = request_int('customer', 0);
if ($customerId === null) {
    render_error(400, 'customer must be a number.');
    exit;
}

try {
    $pdo = shop_pdo();
    $customers = $pdo->query('SELECT id, name FROM customers ORDER BY name')->fetchAll();
    $stmt = $pdo->prepare(
        'SELECT p.sku, p.name, SUM(i.qty) AS units, SUM(i.qty * i.unit_price) AS revenue'
        . ' FROM order_items i JOIN orders o ON o.id = i.order_id JOIN products p ON p.id = i.product_id'
        . ' WHERE :all = 1 OR o.customer_id = :customer'
        . ' GROUP BY p.sku, p.name ORDER BY revenue DESC, p.sku'
    );
    $stmt->bindValue(':all', $customerId === 0 ? 1 : 0, PDO::PARAM_INT);
    $stmt->bindValue(':customer', $customerId, PDO::PARAM_INT);
    $stmt->execute();
    $rows = $stmt->fetchAll(PDO::FETCH_ASSOC);
} catch (PDOException $e) {
    render_error(500, t('report_failed'));
    exit;
}

render('header.phtml', array('title' => t('report_title')));
?>
<form method="get" action="/report.php">
  <select name="customer">
    <option value="0">All customers</option>
<?php foreach ($customers as $c): ?>
    <option value="<?= (int) $c['id'] ?>"<?= (int) $c['id'] === $customerId ? ' selected' : '' ?>><?= h($c['name']) ?></option>
<?php endforeach; ?>
  </select>
  <button type="submit">Show</button>
</form>
<p><?= h(t('pick_customer')) ?></p>
<table>
  <tr><th>SKU</th><th>Product</th><th>Units</th><th>Revenue</th></tr>
<?php foreach ($rows as $r): ?>
  <tr><td><?= h($r['sku']) ?></td><td><?= h($r['name']) ?></td><td class="num"><?= (int) $r['units'] ?></td><td class="num"><?= money($r['revenue']) ?></td></tr>
<?php endforeach; ?>
</table>
<?php
render('footer.phtml');
