<?php
require_once __DIR__ . '/inc/db.php';

$products = db_fetch_one('SELECT COUNT(*) AS n FROM products');
$customers = db_fetch_one('SELECT COUNT(*) AS n FROM customers');
$open = db_fetch_one("SELECT COUNT(*) AS n FROM orders WHERE status = 'open'");

render('header.phtml', array('title' => 'Welcome'));
?>
<p>Welcome to <?= h($config['shop_name']) ?>, the shop around the corner since 2004.</p>
<ul>
  <li><?= (int) $products['n'] ?> products in the catalogue</li>
  <li><?= (int) $customers['n'] ?> registered customers</li>
  <li><?= (int) $open['n'] ?> open orders</li>
</ul>
<?php
render('footer.phtml');
