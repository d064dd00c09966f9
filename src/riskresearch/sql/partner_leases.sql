-- Per lease, what partner monitoring needs beyond the modeling table: the delivery-address
-- change and an early indicator, ever 30+ days past due on one of the first 3 instalments
-- (mature once the 3rd instalment is 30 days overdue by $as_of). Parameter $as_of (DATE).
WITH early AS (
    SELECT application_id,
           max(CASE WHEN date_diff('day', due_date, coalesce(paid_date, $as_of)) >= 30
                    THEN 1 ELSE 0 END) AS dpd30_3m
    FROM installments
    WHERE installment_no <= 3 AND due_date + INTERVAL 30 DAY <= $as_of
    GROUP BY application_id
)
SELECT o.application_id,
       CAST(o.delivery_address_changed AS INTEGER) AS address_changed,
       CAST(o.started_on + INTERVAL 3 MONTH + INTERVAL 30 DAY <= $as_of AS BOOLEAN)
           AS dpd30_3m_mature,
       CASE WHEN o.started_on + INTERVAL 3 MONTH + INTERVAL 30 DAY <= $as_of
            THEN coalesce(e.dpd30_3m, 0) END AS dpd30_3m
FROM orders o
LEFT JOIN early e ON e.application_id = o.application_id
WHERE o.started_on <= $as_of
ORDER BY o.application_id
