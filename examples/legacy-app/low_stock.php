<?php
/*
 * Products running low, for the Monday re-order. Procedural prepared
 * statements, copied from the PHP manual in 2012.
 * TODO: move to inc/db.php once it supports parameters.
 */
require_once __DIR__ . '/config.php';
require_once __DIR__ . '/inc/functions.php';

$max = request_int('max', 5);
if ($max === null) {
    render_error(400, 'max must be a number.');
    exit;
}

$link = @mysqli_connect($config['db_host'], $config['db_user'], $config['db_password'], $config['db_name'], $config['db_port'], $config['db_socket']);
if (!$link) {
    render_error(500, t('db_down'));
    exit;
}

$stmt = mysqli_prepare($link, 'SELECT sku, name, stock FROM products WHERE stock <= ? ORDER BY stock, sku');
mysqli_stmt_bind_param($stmt, 'i', $max);
mysqli_stmt_execute($stmt);
$result = mysqli_stmt_get_result($stmt);

render('header.phtml', array('title' => 'Low stock (at most ' . $max . ')'));
?>
<table>
  <tr><th>SKU</th><th>Product</th><th>Stock</th></tr>
<?php while ($row = mysqli_fetch_assoc($result)): ?>
  <tr><td><?= h($row['sku']) ?></td><td><?= h($row['name']) ?></td><td class="num"><?= (int) $row['stock'] ?></td></tr>
<?php endwhile; ?>
</table>
<?php
mysqli_stmt_close($stmt);
mysqli_close($link);
render('footer.phtml');
