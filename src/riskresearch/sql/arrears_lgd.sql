-- Written-off leases with what was lost and recovered (loss given default per contract).
-- Parameter $as_of (DATE): the last observed day; write-offs after it are not counted.
-- The exposure at default (`ead`) is the lease's outstanding rent at the write-off: the whole
-- scheduled rent (monthly_rent x term) less the instalments paid by then. Recoveries count the
-- deposit, partial payments under a payment plan and the net resale value of a recovered
-- device; the collection cost of the final episode (every action after its oldest unpaid due
-- date) is added to the loss.
WITH wo AS (
    SELECT o.application_id, o.device_category, o.model_tier, o.units, o.retail_price,
           o.listed_price, o.lease_term_months, o.monthly_rent, o.deposit, o.started_on,
           o.ended_on AS written_off_on
    FROM orders o
    WHERE o.status = 'written_off' AND o.ended_on <= $as_of AND o.started_on <= $as_of
),
pay AS (
    SELECT w.application_id,
           coalesce(sum(i.amount_due) FILTER (WHERE i.paid_date <= w.written_off_on), 0)
               AS rent_paid,
           coalesce(sum(i.amount_due) FILTER (
               WHERE i.due_date < w.written_off_on
                 AND (i.paid_date IS NULL OR i.paid_date > w.written_off_on)), 0) AS arrears,
           min(i.due_date) FILTER (
               WHERE i.due_date < w.written_off_on
                 AND (i.paid_date IS NULL OR i.paid_date > w.written_off_on)) AS default_from
    FROM wo w
    LEFT JOIN installments i ON i.application_id = w.application_id
    GROUP BY w.application_id
),
act AS (
    SELECT w.application_id,
           coalesce(sum(a.amount_recovered) FILTER (WHERE a.outcome = 'partial'), 0)
               AS partial_payments,
           coalesce(sum(a.cost), 0) AS collection_cost,
           coalesce(bool_or(a.action_type = 'device_recovery'
                            AND a.outcome = 'device_recovered'), false) AS recovered,
           coalesce(max(a.resale_value) FILTER (
               WHERE a.action_type = 'device_recovery' AND a.outcome = 'device_recovered'), 0)
               AS resale_value
    FROM wo w
    JOIN pay p ON p.application_id = w.application_id
    LEFT JOIN collection_actions a
           ON a.application_id = w.application_id
          AND a.action_date > coalesce(p.default_from, w.started_on)
          AND a.action_date <= $as_of
    GROUP BY w.application_id
)
SELECT w.application_id,
       w.device_category,
       w.model_tier,
       CAST(w.lease_term_months AS INTEGER) AS lease_term_months,
       CAST(w.units AS INTEGER) AS units,
       CAST(w.retail_price AS DOUBLE) AS retail_price,
       CAST(w.listed_price * w.units AS DOUBLE) AS device_cost,
       w.started_on,
       w.written_off_on,
       CAST(date_diff('month', w.started_on, w.written_off_on) AS INTEGER) AS age_months,
       CAST(w.monthly_rent * w.lease_term_months AS DOUBLE) AS contract_value,
       CAST(p.rent_paid AS DOUBLE) AS rent_paid,
       CAST(p.arrears AS DOUBLE) AS arrears,
       CAST(w.monthly_rent * w.lease_term_months - p.rent_paid AS DOUBLE) AS ead,
       CAST(w.deposit AS DOUBLE) AS deposit,
       CAST(a.partial_payments AS DOUBLE) AS partial_payments,
       a.recovered,
       CAST(a.resale_value AS DOUBLE) AS resale_value,
       CAST(a.collection_cost AS DOUBLE) AS collection_cost
FROM wo w
JOIN pay p ON p.application_id = w.application_id
JOIN act a ON a.application_id = w.application_id
ORDER BY w.application_id
