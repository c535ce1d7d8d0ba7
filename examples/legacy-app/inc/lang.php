<?php
/*
 * English strings. Some of them name the database APIs on purpose (the
 * about page explains the stack), so a grep for "mysqli" or "PDO" over this
 * tree finds words, not code.
 */
$LANG = array(
    'error_title'   => 'Something went wrong',
    'db_down'       => 'The shop database (mysqli) is not reachable',
    'search_hint'   => 'Type a query, e.g. "tea", then press Search.',
    'search_none'   => 'No product matches your query.',
    'report_title'  => 'Sales report (PDO, prepared statements)',
    'report_failed' => 'The report query failed: PDO could not prepare or execute it.',
    'pick_customer' => 'Pick a customer from the dropdown to filter the report.',
    'news_down'     => 'The news archive is unavailable',
    'thanks'        => 'Thank you, %s. We will reply to %s.',
    'missing'       => 'Please fill in your name, your e-mail address and a message.',
);

function t($key)
{
    global $LANG;
    return isset($LANG[$key]) ? $LANG[$key] : $key;
}
