<?php
require_once __DIR__ . '/config.php';
require_once __DIR__ . '/inc/functions.php';
require_once __DIR__ . '/inc/CustomerRepository.php';

$id = request_int('id', 0);
if ($id === null) {
    render_error(400, 'The customer id must be a number.');
    exit;
}
$repo = CustomerRepository::fromConfig($config);
if ($repo === null) {
    render_error(500, t('db_down'));
    exit;
}
$customer = $repo->find($id);
if ($customer === null) {
    $repo->close();
    render_error(404, 'No such customer.');
    exit;
}
$orders = $repo->orders($id);
$repo->close();

render('header.phtml', array('title' => $customer['name']));
?>
<p><?= h($customer['email']) ?>, <?= h($customer['city']) ?></p>
<?php if (count($orders) === 0): ?>
<p>No orders yet.</p>
<?php else: ?>
<table>
  <tr><th>Order</th><th>Status</th><th>Placed on</th><th>Total</th></tr>
<?php foreach ($orders as $o): ?>
  <tr>
    <td><a href="/order.php?id=<?= (int) $o['id'] ?>">#<?= (int) $o['id'] ?></a></td>
    <td><?= h($o['status']) ?></td>
    <td><?= h($o['placed_on']) ?></td>
    <td class="num"><?= money($o['total']) ?></td>
  </tr>
<?php endforeach; ?>
</table>
<?php endif; ?>
<?php
render('footer.phtml');
