<?php
/*
 * Web checkout: one PDO transaction writes the web order and its lines, or
 * nothing at all. Web orders live in their own tables until the back office
 * imports them, so the order pages do not change when someone checks out.
 *
 * POST customer=ID&items=SKU:QTY,SKU:QTY
 */
require_once __DIR__ . '/config.php';
require_once __DIR__ . '/inc/functions.php';
require_once __DIR__ . '/inc/pdo.php';

if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    render('header.phtml', array('title' => 'Checkout'));
    ?>
<form method="post" action="/checkout.php">
  <label>Customer number <input type="text" name="customer"></label>
  <label>Items (SKU:quantity, comma separated) <input type="text" name="items"></label>
  <button type="submit">Place order</button>
</form>
<?php
    render('footer.phtml');
    exit;
}

$customerId = (int) post_field('customer');
$lines = array();
foreach (explode(',', post_field('items')) as $part) {
    $pair = explode(':', trim($part));
    if (count($pair) !== 2 || !ctype_digit($pair[1]) || (int) $pair[1] < 1) {
        render_error(422, 'Items must look like TEA-001:2,MUG-002:1.');
        exit;
    }
    $lines[] = array('sku' => $pair[0], 'qty' => (int) $pair[1]);
}

try {
    $pdo = shop_pdo();
} catch (PDOException $e) {
    render_error(500, 'The order could not be saved. Nothing was ordered.');
    exit;
}

try {
    $pdo->beginTransaction();

    $who = $pdo->prepare('SELECT name FROM customers WHERE id = ?');
    $who->execute(array($customerId));
    $customer = $who->fetchColumn();
    if ($customer === false) {
        throw new InvalidArgumentException('No such customer.');
    }

    $pdo->exec('INSERT INTO web_orders (customer_id, total) VALUES (' . $customerId . ', 0)');
    $orderId = (int) $pdo->lastInsertId();

    $find = $pdo->prepare('SELECT id, price FROM products WHERE sku = ?');
    $add = $pdo->prepare('INSERT INTO web_order_items (web_order_id, product_id, qty, unit_price) VALUES (?, ?, ?, ?)');
    $total = 0.0;
    $units = 0;
    foreach ($lines as $line) {
        $find->execute(array($line['sku']));
        $product = $find->fetch();
        $find->closeCursor();
        if (!$product) {
            throw new InvalidArgumentException('Unknown product ' . $line['sku'] . '.');
        }
        $add->execute(array($orderId, $product['id'], $line['qty'], $product['price']));
        $total += $line['qty'] * $product['price'];
        $units += $line['qty'];
    }
    $update = $pdo->prepare('UPDATE web_orders SET total = ? WHERE id = ?');
    $update->execute(array($total, $orderId));
    $pdo->commit();
} catch (InvalidArgumentException $e) {
    $pdo->rollBack();
    render_error(422, $e->getMessage() . ' Nothing was ordered.');
    exit;
} catch (PDOException $e) {
    if ($pdo->inTransaction()) {
        $pdo->rollBack();
    }
    render_error(500, 'The order could not be saved. Nothing was ordered.');
    exit;
}

render('header.phtml', array('title' => 'Thank you'));
?>
<p>Order placed for <?= h($customer) ?>: <?= (int) $units ?> items, total <?= money($total) ?>.</p>
<?php
render('footer.phtml');
