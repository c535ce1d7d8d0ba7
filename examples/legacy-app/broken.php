<?php
/*
 * The news archive. Its table was dropped in 2019 and nobody removed the
 * page: the query fails on every request, and the page says so with a 500
 * instead of a blank screen. Kept on purpose: it shows what a failing query
 * looks like in a trace.
 */
require_once __DIR__ . '/inc/db.php';

$news = db_fetch_all('SELECT id, title, body FROM news ORDER BY id DESC');
if ($news === false) {
    render_error(500, t('news_down') . ' (database error ' . db_errno() . ').');
    exit;
}

render('header.phtml', array('title' => 'News'));
foreach ($news as $item) {
    echo '<article><h3>' . h($item['title']) . '</h3><p>' . h($item['body']) . "</p></article>\n";
}
render('footer.phtml');
