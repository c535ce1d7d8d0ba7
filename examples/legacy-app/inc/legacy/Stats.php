<?php
/*
 * Row counts for stats.php, written when the team "started using
 * namespaces" (2016). It still takes the wrapper's mysqli link.
 */
namespace Legacy\Stats;

use function mysqli_num_rows as row_count;

function table_rows($link, $table)
{
    $result = \mysqli_query($link, 'SELECT 1 FROM `' . $table . '`');
    if ($result === false) {
        return -1;
    }
    $count = row_count($result);
    // Unqualified: PHP falls back to the global mysqli_free_result().
    mysqli_free_result($result);
    return $count;
}

function status_breakdown($link)
{
    $result = mysqli_query($link, 'SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status');
    $counts = array();
    if ($result === false) {
        return $counts;
    }
    while ($row = mysqli_fetch_row($result)) {
        $counts[$row[0]] = (int) $row[1];
    }
    return $counts;
}
