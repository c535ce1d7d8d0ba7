<?php
/*
 * Helpers shared by every page. No database access in here.
 */
require_once __DIR__ . '/lang.php';
require_once __DIR__ . '/nav.inc';

function h($value)
{
    return htmlspecialchars((string) $value, ENT_QUOTES, 'UTF-8');
}

function money($amount)
{
    return $GLOBALS['config']['currency'] . ' ' . number_format((float) $amount, 2, '.', ',');
}

function render($template, array $vars = array())
{
    extract($vars);
    include __DIR__ . '/../templates/' . $template;
}

function render_page($title, $template, array $vars = array())
{
    render('header.phtml', array('title' => $title));
    render($template, $vars);
    render('footer.phtml');
}

function render_error($status, $message)
{
    http_response_code($status);
    render('header.phtml', array('title' => t('error_title')));
    render('error.phtml', array('status' => $status, 'message' => $message));
    render('footer.phtml');
}

function request_int($name, $default)
{
    if (!isset($_GET[$name]) || $_GET[$name] === '') {
        return $default;
    }
    if (!ctype_digit((string) $_GET[$name])) {
        return null;
    }
    return (int) $_GET[$name];
}

function post_field($name)
{
    return isset($_POST[$name]) ? trim((string) $_POST[$name]) : '';
}
