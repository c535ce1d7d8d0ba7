<?php
require_once __DIR__ . '/inc/db.php';

$products = db_fetch_all('SELECT id, sku, name, price, stock FROM products ORDER BY name');
if ($products === false) {
    render_error(500, 'Products could not be loaded (database error ' . db_errno() . ').');
    exit;
}

render('header.phtml', array('title' => 'Products'));
?>
<table>
  <tr><th>SKU</th><th>Product</th><th>Price</th><th>Stock</th></tr>
<?php foreach ($products as $p) {
    render('product_row.phtml', array('p' => $p));
} ?>
</table>
<?php
render('footer.phtml');
