<?php
/*
 * Leftovers of the 2013 migration from mysql_* to mysqli_*.
 *
 * The helpers kept a mysqli_ prefix so the search-and-replace stayed simple
 * (mysql_result_to_array -> mysqli_result_to_array). They are ours, not
 * PHP's: calling them is not calling the mysqli extension.
 */

function mysqli_result_to_array($result)
{
    $rows = array();
    while ($row = mysqli_fetch_assoc($result)) {
        $rows[] = $row;
    }
    return $rows;
}

function mysqli_quote($link, $value)
{
    return "'" . mysqli_real_escape_string($link, (string) $value) . "'";
}
