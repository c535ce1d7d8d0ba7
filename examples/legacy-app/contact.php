<?php
require_once __DIR__ . '/inc/db.php';

if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    render('header.phtml', array('title' => 'Contact us'));
    ?>
<form method="post" action="/contact.php">
  <label>Name <input type="text" name="name"></label>
  <label>E-mail <input type="email" name="email"></label>
  <label>Topic
    <select name="topic"><option>order</option><option>product</option><option>other</option></select>
  </label>
  <label>Message <textarea name="message"></textarea></label>
  <button type="submit">Send</button>
</form>
<?php
    render('footer.phtml');
    exit;
}

$name = post_field('name');
$email = post_field('email');
$message = post_field('message');
$topic = post_field('topic');
if ($name === '' || $email === '' || $message === '') {
    render_error(422, t('missing'));
    exit;
}
if ($topic === '') {
    $topic = 'other';
}

$ok = db_query(
    "INSERT INTO messages (name, email, body) VALUES ('"
    . db_escape($name) . "', '" . db_escape($email) . "', '" . db_escape($message) . "')"
);
if ($ok) {
    $messageId = db_insert_id();
    $ok = db_query("INSERT INTO message_topics (message_id, topic) VALUES (" . (int) $messageId . ", '" . db_escape($topic) . "')");
}
if (!$ok) {
    render_error(500, 'Your message could not be saved (database error ' . db_errno() . ').');
    exit;
}

render('header.phtml', array('title' => 'Message sent'));
?>
<p><?= h(sprintf(t('thanks'), $name, $email)) ?></p>
<?php
render('footer.phtml');
