-- Behaviour-score snapshots: one row per lease and month end (`snapshot`) at which the lease
-- was active, with payment-behaviour features and the forward-looking target.
-- Parameters: $as_of (DATE), the last observed day (snapshots are the month ends up to it);
-- $outcome_lag (INTEGER), days after a collection action from which its outcome counts.
-- Active at a snapshot: started strictly before the snapshot day and not ended (bought out,
-- returned, written off) on or before it; an end dated after $as_of is not known yet.
-- Point-in-time rule: a feature uses only events dated on or before the snapshot day. An
-- instalment counts as paid at the snapshot only if its paid_date <= snapshot; the warehouse's
-- amount_paid (what was paid by the warehouse as-of date) is never read. Part payments are the
-- `amount_recovered` of collection actions with outcome 'partial', counted $outcome_lag days
-- after the action (outcomes carry no date of their own; see `acts`).
-- Days past due of an instalment on day t: t - due_date while unpaid, up to and including the
-- day it is paid in full (paying 35 days late reaches 35 dpd).
-- Target: bad_next_3m = 1 when the lease is 30+ dpd (on any instalment) on some day in
-- (snapshot, last day of the third month after it]; NULL unless that window ended by $as_of.
WITH params AS (
    SELECT CASE WHEN $as_of = last_day($as_of) THEN $as_of
                ELSE CAST(date_trunc('month', $as_of) - INTERVAL 1 DAY AS DATE) END AS last_snapshot
),
leases AS (
    SELECT o.application_id,
           o.customer_id,
           o.started_on,
           CASE WHEN o.ended_on <= $as_of THEN o.ended_on END AS ended_on,
           CASE WHEN o.ended_on <= $as_of THEN o.status ELSE 'active' END AS end_status,
           CAST(o.lease_term_months AS INTEGER) AS lease_term_months,
           CAST(o.monthly_rent AS DOUBLE) AS monthly_rent,
           o.device_category,
           o.model_tier,
           CAST(o.price_vs_retail AS DOUBLE) AS price_vs_retail,
           o.monthly_rent / nullif(o.retail_price * o.units, 0) AS rent_to_retail,
           o.deposit / nullif(o.retail_price * o.units, 0) AS deposit_share
    FROM orders o
    WHERE o.started_on <= $as_of
),
spans AS (
    SELECT l.application_id, l.customer_id, l.started_on, l.ended_on, l.lease_term_months,
           l.monthly_rent,
           unnest(range(0, date_diff('month', date_trunc('month', l.started_on),
                                     date_trunc('month', p.last_snapshot)) + 1)) AS k
    FROM leases l, params p
    WHERE l.started_on < p.last_snapshot
),
snap AS (
    SELECT s.* EXCLUDE (k),
           CAST(last_day(date_trunc('month', s.started_on) + to_months(CAST(s.k AS INTEGER)))
                AS DATE) AS snapshot
    FROM spans s
),
active AS (
    SELECT application_id, customer_id, started_on, lease_term_months, monthly_rent, snapshot,
           CAST(last_day(snapshot + INTERVAL 3 MONTH) AS DATE) AS window_end
    FROM snap
    WHERE started_on < snapshot AND (ended_on IS NULL OR ended_on > snapshot)
      -- the caller builds the table in batches of snapshot months: (after, through]
      AND ($after IS NULL OR snapshot > $after)
      AND ($through IS NULL OR snapshot <= $through)
),
inst AS (
    -- amounts as decimals: their sums are exact, so the same data always gives the same bits
    SELECT i.application_id, i.due_date, CAST(i.amount_due AS DECIMAL(18, 4)) AS amount_due,
           CASE WHEN i.paid_date <= $as_of THEN i.paid_date END AS paid
    FROM installments i
),
-- this lease's instalments: behaviour up to the snapshot, and the target after it
own AS (
    SELECT a.application_id, a.snapshot,
           count(*) FILTER (WHERE i.due_date < a.snapshot) AS fallen_due,
           coalesce(max(CASE WHEN i.due_date < a.snapshot AND (i.paid IS NULL OR i.paid > a.snapshot)
                             THEN date_diff('day', i.due_date, a.snapshot) END), 0) AS dpd,
           greatest(coalesce(max(CASE WHEN i.due_date < a.snapshot THEN
                        date_diff('day', i.due_date, least(coalesce(i.paid, a.snapshot), a.snapshot))
                        END), 0), 0) AS max_dpd,
           count(*) FILTER (WHERE i.due_date < a.snapshot
                              AND (i.paid IS NULL OR i.paid > a.snapshot)) AS instalments_in_arrears,
           count(*) FILTER (WHERE i.paid <= a.snapshot) AS n_paid,
           count(*) FILTER (WHERE i.paid <= a.snapshot AND i.paid > i.due_date) AS n_paid_late,
           count(*) FILTER (WHERE i.paid <= a.snapshot
                              AND date_diff('day', i.due_date, i.paid) >= 30) AS n_paid_late_30,
           count(*) FILTER (WHERE i.paid <= a.snapshot AND i.paid < i.due_date) AS n_paid_early,
           count(*) FILTER (WHERE i.paid <= a.snapshot AND i.due_date >= a.snapshot) AS paid_ahead,
           avg(CASE WHEN i.paid <= a.snapshot THEN date_diff('day', i.due_date, i.paid) END)
               AS mean_days_late,
           max(CASE WHEN i.paid <= a.snapshot AND i.paid > i.due_date THEN i.paid END)
               AS last_late_paid,
           max(CASE WHEN i.paid <= a.snapshot THEN i.paid END) AS last_paid,
           sum(i.amount_due) FILTER (WHERE i.due_date < a.snapshot) AS amount_fallen_due,
           sum(i.amount_due) FILTER (WHERE i.due_date < a.snapshot AND i.paid <= a.snapshot)
               AS amount_paid_by_snapshot,
           -- target: 30+ dpd on some day t in (snapshot, window_end], i.e. t >= due + 30 and the
           -- instalment still unpaid on t (paid on t counts: that day it is t - due dpd)
           max(CASE WHEN greatest(i.due_date + 30, a.snapshot + 1)
                         <= least(coalesce(i.paid, DATE '9999-12-31'), a.window_end)
                    THEN 1 ELSE 0 END) AS bad_window
    FROM active a
    JOIN inst i ON i.application_id = a.application_id
    GROUP BY a.application_id, a.snapshot
),
-- collection actions: that an action was taken is known on its day, but its outcome (paid,
-- promise broken, part payment) only once the customer responded, a day the warehouse does not
-- record; an outcome counts from $outcome_lag days after the action (30: the longest gap between
-- two ladder steps, by which the next step has shown how the last one ended)
acts AS (
    SELECT a.application_id, a.snapshot,
           count(*) AS n_actions,
           count(*) FILTER (WHERE c.action_type IN ('sms_reminder', 'call_reminder')) AS n_reminders,
           count(*) FILTER (WHERE c.action_type = 'negotiation') AS n_negotiations,
           count(*) FILTER (WHERE c.action_type = 'legal_notice') AS n_legal_notices,
           count(*) FILTER (WHERE c.outcome = 'promise_broken'
                              AND c.action_date + CAST($outcome_lag AS INTEGER) <= a.snapshot) AS n_broken_promises,
           count(*) FILTER (WHERE c.outcome = 'partial'
                              AND c.action_date + CAST($outcome_lag AS INTEGER) <= a.snapshot) AS n_partial_payments,
           coalesce(sum(CAST(c.amount_recovered AS DECIMAL(18, 4))) FILTER (WHERE c.outcome = 'partial'
                                                      AND c.action_date + CAST($outcome_lag AS INTEGER) <= a.snapshot), 0)
               AS partial_paid,
           max(c.action_date) AS last_action
    FROM active a
    JOIN collection_actions c ON c.application_id = a.application_id
                             AND c.action_date <= a.snapshot
    GROUP BY a.application_id, a.snapshot
),
-- the customer's other leases that started before the snapshot day; an ended lease's dpd is
-- taken on its last day
other AS (
    SELECT a.application_id, a.snapshot,
           count(DISTINCT o.application_id) FILTER (
               WHERE o.ended_on IS NULL OR o.ended_on > a.snapshot) AS other_active_leases,
           count(DISTINCT o.application_id) FILTER (
               WHERE o.end_status = 'written_off' AND o.ended_on <= a.snapshot) AS other_writeoffs,
           coalesce(max(CASE WHEN (o.ended_on IS NULL OR o.ended_on > a.snapshot)
                              AND (i.paid IS NULL OR i.paid > a.snapshot)
                             THEN date_diff('day', i.due_date, a.snapshot) END), 0) AS other_dpd,
           greatest(coalesce(max(date_diff('day', i.due_date,
                                           least(coalesce(i.paid, a.snapshot), a.snapshot,
                                                 coalesce(o.ended_on, a.snapshot)))), 0),
                    0) AS other_max_dpd
    FROM active a
    JOIN leases o ON o.customer_id = a.customer_id
                 AND o.application_id <> a.application_id
                 AND o.started_on < a.snapshot
    LEFT JOIN inst i ON i.application_id = o.application_id AND i.due_date < a.snapshot
    GROUP BY a.application_id, a.snapshot
)
SELECT a.application_id,
       a.customer_id,
       a.snapshot,
       CAST(a.started_on AS DATE) AS started_on,
       -- lease terms (known at the start)
       l.device_category,
       l.model_tier,
       a.lease_term_months,
       a.monthly_rent,
       l.price_vs_retail,
       round(l.rent_to_retail, 6) AS rent_to_retail,
       round(l.deposit_share, 6) AS deposit_share,
       -- time on book
       CAST(date_diff('month', a.started_on, a.snapshot) AS INTEGER) AS months_on_book,
       CAST(coalesce(w.fallen_due, 0) AS INTEGER) AS instalments_due,
       round(coalesce(w.fallen_due, 0) / a.lease_term_months, 6) AS term_elapsed,
       CAST(a.lease_term_months - coalesce(w.fallen_due, 0) AS INTEGER) AS instalments_left,
       -- arrears at the snapshot and so far
       CAST(coalesce(w.dpd, 0) AS INTEGER) AS dpd,
       CAST(coalesce(w.max_dpd, 0) AS INTEGER) AS max_dpd,
       CAST(coalesce(w.instalments_in_arrears, 0) AS INTEGER) AS instalments_in_arrears,
       CAST(coalesce(w.n_paid_late, 0) AS INTEGER) AS n_paid_late,
       CAST(coalesce(w.n_paid_late_30, 0) AS INTEGER) AS n_paid_late_30,
       round(w.n_paid_late / nullif(w.n_paid, 0), 6) AS share_paid_late,
       round(w.mean_days_late, 6) AS mean_days_late,
       CAST(CASE WHEN w.dpd > 0 THEN 0
                 ELSE date_diff('month', w.last_late_paid, a.snapshot) END AS DOUBLE)
           AS months_since_late,
       CAST(date_diff('day', w.last_paid, a.snapshot) AS DOUBLE) AS days_since_payment,
       round(CAST(w.amount_paid_by_snapshot AS DOUBLE)
             / nullif(CAST(w.amount_fallen_due AS DOUBLE), 0), 6) AS paid_share,
       -- paying early or ahead of the schedule (prepayment / early-buyout signals)
       round(w.n_paid_early / nullif(w.n_paid, 0), 6) AS share_paid_early,
       CAST(coalesce(w.paid_ahead, 0) AS INTEGER) AS paid_ahead,
       -- collection actions so far
       CAST(coalesce(c.n_actions, 0) AS INTEGER) AS n_actions,
       CAST(coalesce(c.n_reminders, 0) AS INTEGER) AS n_reminders,
       CAST(coalesce(c.n_negotiations, 0) AS INTEGER) AS n_negotiations,
       CAST(coalesce(c.n_legal_notices, 0) AS INTEGER) AS n_legal_notices,
       CAST(coalesce(c.n_broken_promises, 0) AS INTEGER) AS n_broken_promises,
       CAST(coalesce(c.n_partial_payments, 0) AS INTEGER) AS n_partial_payments,
       round(CAST(coalesce(c.partial_paid, 0) AS DOUBLE) / nullif(a.monthly_rent, 0), 6)
           AS partial_paid_to_rent,
       CAST(date_diff('month', c.last_action, a.snapshot) AS DOUBLE) AS months_since_action,
       -- the customer's other leases
       CAST(coalesce(ot.other_active_leases, 0) AS INTEGER) AS other_active_leases,
       CAST(coalesce(ot.other_writeoffs, 0) AS INTEGER) AS other_writeoffs,
       CAST(coalesce(ot.other_dpd, 0) AS INTEGER) AS other_dpd,
       CAST(ot.other_max_dpd AS DOUBLE) AS other_max_dpd,
       -- target and its maturity
       a.window_end,
       a.window_end <= $as_of AS mature,
       CASE WHEN a.window_end <= $as_of THEN CAST(coalesce(w.bad_window, 0) AS DOUBLE) END
           AS bad_next_3m
FROM active a
JOIN leases l ON l.application_id = a.application_id
LEFT JOIN own w ON w.application_id = a.application_id AND w.snapshot = a.snapshot
LEFT JOIN acts c ON c.application_id = a.application_id AND c.snapshot = a.snapshot
LEFT JOIN other ot ON ot.application_id = a.application_id AND ot.snapshot = a.snapshot
ORDER BY a.snapshot, a.application_id
