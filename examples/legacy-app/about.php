<?php
require_once __DIR__ . '/config.php';
require_once __DIR__ . '/inc/functions.php';

render('header.phtml', array('title' => 'About'));
?>
<p>Corner Shop has sold tea, coffee and kitchen things since 2004.</p>
<h3>How this site is built</h3>
<p>
  Most pages use our own database layer (db_query(), db_fetch_all()) on top of
  PHP's mysqli extension; the customer list still calls mysqli_query() and
  mysqli_fetch_assoc() directly. The sales report uses PDO with prepared
  statements: $pdo-&gt;prepare() and $stmt-&gt;execute().
</p>
<p>Nothing on this page talks to the database.</p>
<?php
render('footer.phtml');
