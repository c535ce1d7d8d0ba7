<?php
namespace Tracekit\Wrap;

use Tracekit\Hooks\Db;

/**
 * `new mysqli(…)` after `tracekit php rewrite`: the same object, with a
 * CLIENT span around each connect, query, prepare and transaction call.
 * Every method passes its caller's exact arguments to the parent
 * (func_get_args), so defaults, argument errors, warnings and exceptions are
 * PHP's own. Statements from prepare() and stmt_init() are Mysqli_Stmt, whose
 * execute() is traced too. execute_query() (PHP 8.2) is not overridden: it
 * was added with a real return type, which PHP 7.2 syntax cannot declare;
 * the procedural mysqli_execute_query() wrapper and the extension hooks see it.
 *
 * No return types: they would not parse on PHP 7.2, and the tentative-return
 * deprecation PHP 8.1 raises while linking this class is swallowed by the
 * hooks file that declares it.
 */
class Mysqli extends \mysqli
{
    public function __construct($hostname = null, $username = null, $password = null, $database = null, $port = null, $socket = null)
    {
        $args = \func_get_args();
        $span = \count($args) === 0 ? null : Db::begin('mysqli::__construct', $this, $args);
        if ($span === null) {
            parent::__construct(...$args);
            return;
        }
        try {
            parent::__construct(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        Db::done($span, 'mysqli::__construct', $this, $args, null);
    }

    public function real_connect($hostname = null, $username = null, $password = null, $database = null, $port = null, $socket = null, $flags = 0)
    {
        $args = \func_get_args();
        $span = Db::begin('mysqli::real_connect', $this, $args);
        if ($span === null) {
            return parent::real_connect(...$args);
        }
        try {
            $result = parent::real_connect(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        Db::done($span, 'mysqli::real_connect', $this, $args, $result);
        return $result;
    }

    public function query($query, $result_mode = \MYSQLI_STORE_RESULT)
    {
        $args = \func_get_args();
        $span = Db::begin('mysqli::query', $this, $args);
        if ($span === null) {
            return parent::query(...$args);
        }
        try {
            $result = parent::query(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        if (\is_int($span) && $result !== false) {
            \Tracekit\Runtime\Tracer::endCall($span);
        } else {
            Db::done($span, 'mysqli::query', $this, $args, $result);
        }
        return $result;
    }

    public function real_query($query)
    {
        $args = \func_get_args();
        $span = Db::begin('mysqli::real_query', $this, $args);
        if ($span === null) {
            return parent::real_query(...$args);
        }
        try {
            $result = parent::real_query(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        if (\is_int($span) && $result !== false) {
            \Tracekit\Runtime\Tracer::endCall($span);
        } else {
            Db::done($span, 'mysqli::real_query', $this, $args, $result);
        }
        return $result;
    }

    public function multi_query($query)
    {
        $args = \func_get_args();
        $span = Db::begin('mysqli::multi_query', $this, $args);
        if ($span === null) {
            return parent::multi_query(...$args);
        }
        try {
            $result = parent::multi_query(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        if (\is_int($span) && $result !== false) {
            \Tracekit\Runtime\Tracer::endCall($span);
        } else {
            Db::done($span, 'mysqli::multi_query', $this, $args, $result);
        }
        return $result;
    }

    /** Returns a Mysqli_Stmt so that its execute() is traced (see Mysqli_Stmt::attempt()). */
    public function prepare($query)
    {
        $args = \func_get_args();
        $span = Db::begin('mysqli::prepare', $this, $args);
        if ($span === null) {
            return parent::prepare(...$args);
        }
        $stmt = \count($args) === 1 ? Mysqli_Stmt::attempt($this, $query) : null;
        if ($stmt === null) {
            try {
                $stmt = parent::prepare(...$args);
            } catch (\Throwable $e) {
                Db::failed($span, $e);
                throw $e;
            }
        }
        Db::done($span, 'mysqli::prepare', $this, $args, $stmt);
        return $stmt;
    }

    public function stmt_init()
    {
        if (\func_num_args() !== 0 || Db::$extActive) {
            return parent::stmt_init(...\func_get_args());
        }
        try {
            return new Mysqli_Stmt($this);
        } catch (\Throwable $e) {
            return parent::stmt_init();
        }
    }

    public function begin_transaction($flags = 0, $name = null)
    {
        $args = \func_get_args();
        $span = Db::begin('mysqli::begin_transaction', $this, $args);
        if ($span === null) {
            return parent::begin_transaction(...$args);
        }
        try {
            $result = parent::begin_transaction(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        if (\is_int($span) && $result !== false) {
            \Tracekit\Runtime\Tracer::endCall($span);
        } else {
            Db::done($span, 'mysqli::begin_transaction', $this, $args, $result);
        }
        return $result;
    }

    public function commit($flags = 0, $name = null)
    {
        $args = \func_get_args();
        $span = Db::begin('mysqli::commit', $this, $args);
        if ($span === null) {
            return parent::commit(...$args);
        }
        try {
            $result = parent::commit(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        if (\is_int($span) && $result !== false) {
            \Tracekit\Runtime\Tracer::endCall($span);
        } else {
            Db::done($span, 'mysqli::commit', $this, $args, $result);
        }
        return $result;
    }

    public function rollback($flags = 0, $name = null)
    {
        $args = \func_get_args();
        $span = Db::begin('mysqli::rollback', $this, $args);
        if ($span === null) {
            return parent::rollback(...$args);
        }
        try {
            $result = parent::rollback(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        if (\is_int($span) && $result !== false) {
            \Tracekit\Runtime\Tracer::endCall($span);
        } else {
            Db::done($span, 'mysqli::rollback', $this, $args, $result);
        }
        return $result;
    }
}

/**
 * A statement from a traced Mysqli (or `new mysqli_stmt` after the rewrite):
 * a span for prepare() and one for each execute(), carrying the statement's
 * text.
 */
class Mysqli_Stmt extends \mysqli_stmt
{
    /**
     * Prepares $query on $link as a Mysqli_Stmt, silently; null when that
     * fails. The caller then runs the native prepare: a failed statement's
     * destructor clears the link's errno, and only the native call leaves
     * errno, warnings and exceptions exactly as PHP would (PREPARE has no
     * side effects, so trying twice on failure is harmless).
     *
     * @param mixed $link
     * @param mixed $query
     * @return Mysqli_Stmt|null
     */
    public static function attempt($link, $query)
    {
        if (!$link instanceof \mysqli || !\is_string($query)) {
            return null;
        }
        $stmt = null;
        \set_error_handler(static function () {
            return true;
        });
        try {
            $candidate = new Mysqli_Stmt($link);
            if (\mysqli_stmt_prepare($candidate, $query)) {
                $stmt = $candidate;
            }
        } catch (\Throwable $e) {
            $stmt = null;
        } finally {
            $candidate = null;
            \restore_error_handler();
        }
        return $stmt;
    }

    public function __construct($mysql, $query = null)
    {
        $args = \func_get_args();
        $span = \count($args) >= 2 ? Db::begin('mysqli_stmt::__construct', $this, $args) : null;
        if ($span === null) {
            parent::__construct(...$args);
            Db::adopt($this, $mysql);
            return;
        }
        try {
            parent::__construct(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        Db::adopt($this, $mysql);
        Db::done($span, 'mysqli_stmt::__construct', $this, $args, $this->errno === 0 ? true : false);
    }

    public function prepare($query)
    {
        $args = \func_get_args();
        $span = Db::begin('mysqli_stmt::prepare', $this, $args);
        if ($span === null) {
            return parent::prepare(...$args);
        }
        try {
            $result = parent::prepare(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        Db::done($span, 'mysqli_stmt::prepare', $this, $args, $result);
        return $result;
    }

    public function execute($params = null)
    {
        $args = \func_get_args();
        $span = Db::begin('mysqli_stmt::execute', $this, $args);
        if ($span === null) {
            return parent::execute(...$args);
        }
        try {
            $result = parent::execute(...$args);
        } catch (\Throwable $e) {
            Db::failed($span, $e);
            throw $e;
        }
        if (\is_int($span) && $result !== false) {
            \Tracekit\Runtime\Tracer::endCall($span);
        } else {
            Db::done($span, 'mysqli_stmt::execute', $this, $args, $result);
        }
        return $result;
    }
}
