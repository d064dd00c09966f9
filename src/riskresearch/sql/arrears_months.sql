-- Contract tracking: one row per lease and calendar month on book, with the state at month end.
-- Parameters: $as_of (DATE), the last observed day; $after and $through (application ids or
-- NULL for no bound) keep the leases with application_id in (after, through]. Only complete months are reported (a month
-- whose last day is after $as_of is left out), and nothing dated after $as_of is used: a lease
-- ended or an instalment paid after $as_of counts as still running / unpaid.
-- Month on book 0 is the calendar month of the lease start; instalment k falls due k months
-- after the start, so in month on book k the first k instalments are due.
WITH params AS (
    SELECT CASE WHEN $as_of = last_day($as_of) THEN $as_of
                ELSE CAST(date_trunc('month', $as_of) - INTERVAL 1 DAY AS DATE) END AS last_complete
),
contracts AS (
    SELECT o.application_id,
           o.started_on,
           CAST(date_trunc('month', o.started_on) AS DATE) AS cohort,
           o.device_category,
           o.lease_term_months,
           o.monthly_rent,
           o.monthly_rent * o.lease_term_months AS contract_value,
           CAST(o.started_on + to_months(CAST(o.lease_term_months AS INTEGER)) AS DATE) AS term_end,
           CASE WHEN o.ended_on <= $as_of THEN o.ended_on END AS ended_on,
           CASE WHEN o.ended_on <= $as_of THEN o.status ELSE 'active' END AS end_status
    FROM orders o
    WHERE o.started_on <= $as_of
      -- the caller builds the table in batches of leases: application_id in (after, through]
      AND ($after IS NULL OR o.application_id > $after)
      AND ($through IS NULL OR o.application_id <= $through)
),
spans AS (
    SELECT c.*,
           date_diff('month', c.cohort, date_trunc('month', p.last_complete)) AS max_mob,
           date_diff('month', c.cohort, date_trunc('month', c.ended_on)) AS end_mob
    FROM contracts c, params p
),
months AS (
    SELECT s.* EXCLUDE (max_mob, end_mob),
           unnest(range(0, least(s.max_mob, coalesce(s.end_mob, s.max_mob)) + 1)) AS mob
    FROM spans s
    WHERE s.max_mob >= 0
),
snap AS (
    SELECT m.*,
           last_day(m.cohort + to_months(CAST(m.mob AS INTEGER))) AS snapshot,
           least(last_day(m.cohort + to_months(CAST(m.mob AS INTEGER))),
                 coalesce(m.ended_on, DATE '9999-12-31')) AS eval_date
    FROM months m
),
inst AS (
    SELECT i.application_id, i.due_date, i.amount_due,
           CASE WHEN i.paid_date <= $as_of THEN i.paid_date END AS paid
    FROM installments i
),
state AS (
    SELECT s.application_id, s.mob,
           coalesce(max(CASE WHEN i.due_date < s.eval_date
                              AND (i.paid IS NULL OR i.paid > s.eval_date)
                             THEN date_diff('day', i.due_date, s.eval_date) END), 0) AS dpd,
           coalesce(max(CASE WHEN i.due_date < s.eval_date
                             THEN date_diff('day', i.due_date,
                                            least(coalesce(i.paid, s.eval_date), s.eval_date)) END),
                    0) AS max_dpd,
           coalesce(sum(CASE WHEN i.due_date < s.eval_date
                              AND (i.paid IS NULL OR i.paid > s.eval_date)
                             THEN i.amount_due END), 0) AS arrears,
           coalesce(sum(CASE WHEN i.paid <= s.eval_date THEN i.amount_due END), 0) AS paid_to_date
    FROM snap s
    LEFT JOIN inst i ON i.application_id = s.application_id
    GROUP BY s.application_id, s.mob
),
recovered AS (
    SELECT application_id, min(action_date) AS recovered_on
    FROM collection_actions
    WHERE action_type = 'device_recovery' AND outcome = 'device_recovered'
      AND action_date <= $as_of
    GROUP BY application_id
)
SELECT s.application_id,
       s.cohort,
       CAST(s.mob AS INTEGER) AS mob,
       CAST(s.snapshot AS DATE) AS snapshot,
       CASE WHEN s.ended_on <= s.snapshot THEN
                CASE WHEN s.end_status LIKE 'bought_out%' THEN 'bought_out' ELSE s.end_status END
            WHEN st.dpd = 0 THEN 'current'
            WHEN st.dpd < 30 THEN '1-29'
            WHEN st.dpd < 60 THEN '30-59'
            WHEN st.dpd < 90 THEN '60-89'
            ELSE '90+' END AS status,
       CAST(st.dpd AS INTEGER) AS dpd,
       CAST(greatest(st.max_dpd, 0) AS INTEGER) AS max_dpd,
       CAST(st.arrears AS DOUBLE) AS arrears,
       CAST(CASE WHEN s.ended_on <= s.snapshot AND s.end_status <> 'written_off' THEN 0
                 ELSE greatest(s.contract_value - st.paid_to_date, 0) END AS DOUBLE) AS outstanding,
       CASE WHEN s.ended_on <= s.snapshot THEN
                CASE WHEN s.end_status LIKE 'bought_out%' THEN 'bought_out'
                     WHEN s.end_status = 'returned' THEN 'returned'
                     WHEN r.recovered_on <= s.snapshot THEN 'recovered'
                     ELSE 'lost' END
            ELSE 'with_customer' END AS device_status,
       s.snapshot > s.term_end AS past_term,
       s.device_category,
       CAST(s.lease_term_months AS INTEGER) AS lease_term_months,
       CAST(s.contract_value AS DOUBLE) AS contract_value
FROM snap s
JOIN state st ON st.application_id = s.application_id AND st.mob = s.mob
LEFT JOIN recovered r ON r.application_id = s.application_id
ORDER BY s.application_id, s.mob
