-- Device returns at term end: leases whose term ended (plus a grace period) by $as_of, without
-- a write-off or an early buyout. Parameters $as_of (DATE) and $grace_days (INTEGER).
WITH ended AS (
    SELECT o.application_id,
           o.device_category,
           CAST(o.lease_term_months AS INTEGER) AS lease_term_months,
           CAST(o.started_on + to_months(CAST(o.lease_term_months AS INTEGER)) AS DATE)
               AS term_end,
           CASE WHEN o.ended_on <= $as_of THEN o.ended_on END AS ended_on,
           CASE WHEN o.ended_on <= $as_of THEN o.status ELSE 'active' END AS status
    FROM orders o
    WHERE o.started_on <= $as_of
)
SELECT application_id,
       device_category,
       lease_term_months,
       term_end,
       ended_on,
       status,
       CASE WHEN status = 'returned' THEN date_diff('day', term_end, ended_on) END
           AS return_delay_days
FROM ended
WHERE term_end + $grace_days <= $as_of
  AND status NOT IN ('written_off', 'bought_out_early')
ORDER BY application_id
