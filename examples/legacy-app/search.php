<?php
require_once __DIR__ . '/inc/db.php';

$q = isset($_GET['q']) ? trim((string) $_GET['q']) : '';
$rows = array();
if ($q !== '') {
    // LIKE wildcards typed by the user are matched literally.
    $like = '%' . addcslashes(db_escape($q), '%_') . '%';
    $rows = db_fetch_all("SELECT id, sku, name, price, stock FROM products WHERE name LIKE '" . $like . "' OR sku LIKE '" . $like . "' ORDER BY name");
    if ($rows === false) {
        render_error(500, 'Search failed (database error ' . db_errno() . ').');
        exit;
    }
}

render('header.phtml', array('title' => 'Search'));
?>
<form method="get" action="/search.php">
  <input type="text" name="q" value="<?= h($q) ?>">
  <button type="submit">Search</button>
</form>
<?php if ($q === ''): ?>
<p><?= h(t('search_hint')) ?></p>
<?php elseif (count($rows) === 0): ?>
<p><?= h(t('search_none')) ?></p>
<?php else: ?>
<table>
  <tr><th>SKU</th><th>Product</th><th>Price</th><th>Stock</th></tr>
<?php foreach ($rows as $p) {
    render('product_row.phtml', array('p' => $p));
} ?>
</table>
<?php endif; ?>
<?php
render('footer.phtml');
