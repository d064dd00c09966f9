-- Modeling table: one row per application, point-in-time features and targets.
-- Parameter $as_of (DATE): the last day whose events are observed.
-- Point-in-time rule: a feature may only use events dated strictly before the application day
-- (`app_day`); the targets look forward from the lease start and carry maturity flags.
WITH app AS (
    SELECT a.*, CAST(a.applied_at AS DATE) AS app_day
    FROM applications a
),
-- in-window leases of the same customer that started before the application day
prev_orders AS (
    SELECT app.application_id,
           o.application_id AS prev_application_id,
           o.status, o.ended_on, o.started_on,
           o.monthly_rent * o.lease_term_months AS scheduled_rent
    FROM app
    JOIN orders o
      ON o.customer_id = app.customer_id
     AND o.started_on < app.app_day
),
-- worst days past due of those leases, as visible on the application day, and the rent paid
-- before that day on those still running then (not ended before it)
prev_dpd AS (
    SELECT p.application_id,
           max(date_diff('day', i.due_date,
               CASE WHEN i.paid_date < app.app_day THEN i.paid_date ELSE app.app_day END))
               FILTER (WHERE i.due_date < app.app_day) AS max_dpd,
           sum(i.amount_due) FILTER (WHERE i.paid_date < app.app_day
               AND (p.ended_on IS NULL OR p.ended_on >= app.app_day)) AS paid_active
    FROM prev_orders p
    JOIN app ON app.application_id = p.application_id
    JOIN installments i
      ON i.application_id = p.prev_application_id
     AND (i.due_date < app.app_day OR i.paid_date < app.app_day)
    GROUP BY p.application_id
),
prev_agg AS (
    SELECT application_id,
           count(*) AS n_leases,
           count(*) FILTER (WHERE status = 'written_off' AND ended_on < app_day) AS n_writeoffs,
           count(*) FILTER (WHERE ended_on IS NULL OR ended_on >= app_day) AS n_active,
           -- the whole schedule of the leases running on the application day
           sum(scheduled_rent)
               FILTER (WHERE ended_on IS NULL OR ended_on >= app_day) AS scheduled_active,
           min(started_on) AS first_started
    FROM prev_orders JOIN app USING (application_id)
    GROUP BY application_id
),
prior_agg AS (
    SELECT app.application_id,
           count(*) AS n_leases,
           max(pl.max_dpd) AS max_dpd,
           count(*) FILTER (WHERE pl.outcome = 'written_off') AS n_writeoffs,
           min(pl.started_on) AS first_started
    FROM app
    JOIN prior_leases pl
      ON pl.customer_id = app.customer_id
     AND pl.ended_on < app.app_day
    GROUP BY app.application_id
),
prev_apps AS (
    SELECT a.application_id,
           count(b.application_id) AS n_apps,
           count(b.application_id) FILTER (WHERE b.decision = 'declined') AS n_declined
    FROM app a
    JOIN applications b
      ON b.customer_id = a.customer_id
     AND b.applied_at < a.applied_at
     AND CAST(b.decided_at AS DATE) < a.app_day
    GROUP BY a.application_id
),
perf AS (
    SELECT o.application_id,
           o.started_on,
           o.started_on + INTERVAL 6 MONTH AS window_end,
           max(CASE WHEN i.due_date < o.started_on + INTERVAL 6 MONTH THEN
               date_diff('day', i.due_date,
                         least(coalesce(i.paid_date, $as_of), CAST(o.started_on + INTERVAL 6 MONTH AS DATE)))
               END) AS max_dpd_6m,
           max(CASE WHEN i.installment_no = 1 THEN
               date_diff('day', i.due_date, coalesce(i.paid_date, $as_of)) END) AS first_dpd,
           max(CASE WHEN i.installment_no = 1 THEN i.due_date END) AS first_due
    FROM orders o
    JOIN installments i ON i.application_id = o.application_id
    WHERE o.started_on <= $as_of
    GROUP BY o.application_id, o.started_on
)
SELECT
    app.application_id,
    app.customer_id,
    app.segment,
    app.applied_at,
    CAST(date_trunc('month', app.applied_at) AS DATE) AS application_month,
    app.partner_id,
    app.decision,
    app.decision = 'declined' AS declined,
    -- consumer profile
    CAST(floor(date_diff('day', c.birth_date, app.app_day) / 365.25) AS INTEGER) AS age,
    c.city_tier,
    c.education,
    app.occupation,
    app.stated_monthly_income,
    app.employment_years,
    app.phone_tenure_months,
    app.platform_credit_score,
    app.id_verification,
    app.registration_to_application_minutes,
    app.application_hour,
    app.ip_gps_city_mismatch,
    -- enterprise profile
    app.company_age_years,
    app.registered_capital,
    app.industry,
    app.employees,
    app.annual_revenue,
    app.debt_ratio,
    app.current_ratio,
    app.profit_margin,
    app.tax_credit_grade,
    app.legal_disputes,
    -- requested lease
    app.device_category,
    app.model_tier,
    app.retail_price,
    round(app.listed_price / app.retail_price, 4) AS price_vs_retail,
    app.lease_term_months,
    app.monthly_rent,
    app.devices_requested,
    round(app.monthly_rent / nullif(app.stated_monthly_income, 0), 4) AS payment_to_income,
    round(app.monthly_rent * 12 / nullif(app.annual_revenue, 0), 4) AS rent_to_revenue,
    -- bureau (missing, not zero, without a record)
    b.application_id IS NOT NULL AS bureau_hit,
    b.inquiries_1m,
    b.inquiries_3m,
    b.inquiries_6m,
    b.open_accounts,
    b.lenders_6m,
    b.max_dpd_24m,
    b.outstanding_debt,
    b.utilisation,
    round(b.outstanding_debt / nullif(app.stated_monthly_income, 0), 3) AS debt_to_income,
    -- platform history, strictly before the application day
    coalesce(pa.n_leases, 0) + coalesce(po.n_leases, 0) AS hist_leases,
    coalesce(po.n_active, 0) AS hist_active_leases,
    -- rent still owed on the customer's running leases: their schedule less what was paid
    round(greatest(coalesce(po.scheduled_active, 0) - coalesce(pd.paid_active, 0), 0), 2)
        AS hist_outstanding_rent,
    coalesce(pa.n_writeoffs, 0) + coalesce(po.n_writeoffs, 0) AS hist_writeoffs,
    CASE WHEN pa.n_leases IS NULL AND po.n_leases IS NULL THEN NULL
         ELSE greatest(coalesce(pa.max_dpd, 0), coalesce(pd.max_dpd, 0)) END AS hist_max_dpd,
    date_diff('month', least(pa.first_started, po.first_started), app.app_day) AS hist_months_since_first_lease,
    coalesce(pv.n_apps, 0) AS hist_applications,
    coalesce(pv.n_declined, 0) AS hist_declined_applications,
    -- targets and their maturity
    perf.started_on,
    perf.started_on IS NOT NULL AS has_performance,
    CASE WHEN app.decision = 'declined' THEN 'declined'
         WHEN perf.started_on IS NULL THEN 'not_started'
         WHEN perf.window_end <= $as_of THEN 'mature'
         ELSE 'immature' END AS performance_status,
    coalesce(perf.window_end <= $as_of, false) AS bad_mature,
    CASE WHEN perf.window_end <= $as_of THEN CAST(perf.max_dpd_6m >= 60 AS INTEGER) END AS bad,
    coalesce(perf.first_due + INTERVAL 30 DAY <= $as_of, false) AS fpd30_mature,
    CASE WHEN perf.first_due + INTERVAL 30 DAY <= $as_of THEN CAST(perf.first_dpd >= 30 AS INTEGER) END AS fpd30,
    coalesce(perf.started_on + INTERVAL 135 DAY <= $as_of, false) AS fraud_mature,
    CASE WHEN perf.started_on IS NOT NULL THEN CAST(fc.application_id IS NOT NULL AS INTEGER) END AS fraud
FROM app
LEFT JOIN customers c ON c.customer_id = app.customer_id
LEFT JOIN bureau_reports b ON b.application_id = app.application_id
LEFT JOIN prior_agg pa ON pa.application_id = app.application_id
LEFT JOIN prev_agg po ON po.application_id = app.application_id
LEFT JOIN prev_dpd pd ON pd.application_id = app.application_id
LEFT JOIN prev_apps pv ON pv.application_id = app.application_id
LEFT JOIN perf ON perf.application_id = app.application_id
LEFT JOIN fraud_cases fc ON fc.application_id = app.application_id AND fc.confirmed_on <= $as_of
ORDER BY app.application_id
