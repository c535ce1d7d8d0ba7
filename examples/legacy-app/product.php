<?php
require_once __DIR__ . '/inc/db.php';

$id = request_int('id', 0);
if ($id === null) {
    render_error(400, 'The product id must be a number.');
    exit;
}
$product = db_fetch_one('SELECT id, sku, name, description, price, stock FROM products WHERE id = ' . $id);
if (!$product) {
    render_error(404, 'No such product.');
    exit;
}
$sold = db_fetch_one('SELECT COALESCE(SUM(qty), 0) AS units FROM order_items WHERE product_id = ' . $id);

render('header.phtml', array('title' => $product['name']));
?>
<p><?= h($product['description']) ?></p>
<dl>
  <dt>SKU</dt><dd><?= h($product['sku']) ?></dd>
  <dt>Price</dt><dd><?= money($product['price']) ?></dd>
  <dt>In stock</dt><dd><?= (int) $product['stock'] ?></dd>
  <dt>Sold so far</dt><dd><?= (int) $sold['units'] ?></dd>
</dl>
<?php
render('footer.phtml');
