-- Fraud features: one row per application, point-in-time (see riskresearch.fraud).
-- Parameter $as_of (DATE): the last observed day; applications after it are left out.
-- Point-in-time rule: links and velocities use only applications with an applied_at strictly
-- earlier than the application's; defaults, fraud confirmations and partner history use only
-- events dated strictly before the application day. The component size (graph of earlier
-- links) is added in Python with an incremental union-find.
WITH app AS (
    SELECT a.*, CAST(a.applied_at AS DATE) AS app_day
    FROM applications a
    WHERE CAST(a.applied_at AS DATE) <= $as_of
),
-- one row per (application, identifier): kind 1 = device, 2 = contact phone, 3 = address
ids AS (
    SELECT application_id, customer_id, applied_at, 1 AS kind, device_fingerprint_id AS key
    FROM app WHERE device_fingerprint_id IS NOT NULL
    UNION ALL
    SELECT application_id, customer_id, applied_at, 2, contact_phone_id
    FROM app WHERE contact_phone_id IS NOT NULL
    UNION ALL
    SELECT application_id, customer_id, applied_at, 3, address_id
    FROM app WHERE address_id IS NOT NULL
),
-- every earlier application sharing at least one identifier, once (cost: the sum over
-- identifiers of the squared number of applications using it)
links AS (
    SELECT DISTINCT a.application_id, a.applied_at, a.customer_id,
           b.application_id AS linked_id, b.applied_at AS linked_at,
           b.customer_id AS linked_customer
    FROM ids a
    JOIN ids b ON b.kind = a.kind AND b.key = a.key AND b.applied_at < a.applied_at
),
first_due AS (
    SELECT application_id, due_date, paid_date FROM installments WHERE installment_no = 1
),
link_agg AS (
    SELECT l.application_id,
           count(*) AS linked_total,
           count(*) FILTER (WHERE l.linked_at >= l.applied_at - INTERVAL 7 DAY) AS linked_7d,
           count(*) FILTER (WHERE l.linked_at >= l.applied_at - INTERVAL 30 DAY) AS linked_30d,
           count(DISTINCT l.linked_customer) FILTER (
               WHERE l.linked_at >= l.applied_at - INTERVAL 30 DAY
                 AND l.linked_customer IS DISTINCT FROM l.customer_id
           ) AS linked_customers_30d,
           -- in default as seen on the application day: fraud confirmed before it, or the
           -- first instalment 30+ days past due that day
           count(*) FILTER (
               WHERE fc.confirmed_on < CAST(l.applied_at AS DATE)
                  OR date_diff('day', f.due_date,
                               least(coalesce(f.paid_date, CAST(l.applied_at AS DATE)),
                                     CAST(l.applied_at AS DATE))) >= 30
           ) AS linked_defaults
    FROM links l
    LEFT JOIN first_due f ON f.application_id = l.linked_id
    LEFT JOIN fraud_cases fc ON fc.application_id = l.linked_id
    GROUP BY l.application_id
),
-- partner history on the partner's own timeline: leases started and fraud confirmed per day,
-- summed over the 365 days before each application day
partner_events AS (
    SELECT partner_id, day, sum(leases) AS leases, sum(frauds) AS frauds
    FROM (
        SELECT partner_id, started_on AS day, 1 AS leases, 0 AS frauds FROM orders
        UNION ALL
        SELECT o.partner_id, fc.confirmed_on, 0, 1
        FROM fraud_cases fc JOIN orders o ON o.application_id = fc.application_id
    )
    GROUP BY ALL
),
partner_days AS (SELECT DISTINCT partner_id, app_day FROM app),
partner_hist AS (
    SELECT d.partner_id, d.app_day,
           sum(e.leases) AS leases_365d,
           sum(e.frauds) AS frauds_365d
    FROM partner_days d
    JOIN partner_events e
      ON e.partner_id = d.partner_id
     AND e.day < d.app_day
     AND e.day >= d.app_day - INTERVAL 365 DAY
    GROUP BY ALL
),
velocity AS (
    SELECT application_id,
           CASE WHEN device_fingerprint_id IS NOT NULL THEN count(*) OVER (
               PARTITION BY device_fingerprint_id ORDER BY applied_at
               RANGE BETWEEN INTERVAL 1 DAY PRECEDING AND CURRENT ROW EXCLUDE GROUP) END
               AS device_apps_1d,
           CASE WHEN device_fingerprint_id IS NOT NULL THEN count(*) OVER (
               PARTITION BY device_fingerprint_id ORDER BY applied_at
               RANGE BETWEEN INTERVAL 30 DAY PRECEDING AND CURRENT ROW EXCLUDE GROUP) END
               AS device_apps_30d,
           CASE WHEN contact_phone_id IS NOT NULL THEN count(*) OVER (
               PARTITION BY contact_phone_id ORDER BY applied_at
               RANGE BETWEEN INTERVAL 1 DAY PRECEDING AND CURRENT ROW EXCLUDE GROUP) END
               AS phone_apps_1d,
           CASE WHEN contact_phone_id IS NOT NULL THEN count(*) OVER (
               PARTITION BY contact_phone_id ORDER BY applied_at
               RANGE BETWEEN INTERVAL 30 DAY PRECEDING AND CURRENT ROW EXCLUDE GROUP) END
               AS phone_apps_30d,
           count(*) OVER (
               PARTITION BY partner_id ORDER BY applied_at
               RANGE BETWEEN INTERVAL 1 DAY PRECEDING AND CURRENT ROW EXCLUDE GROUP)
               AS partner_apps_1d,
           count(*) OVER (
               PARTITION BY partner_id ORDER BY applied_at
               RANGE BETWEEN INTERVAL 7 DAY PRECEDING AND CURRENT ROW EXCLUDE GROUP)
               AS partner_apps_7d,
           count(*) OVER (
               PARTITION BY partner_id ORDER BY applied_at
               RANGE BETWEEN INTERVAL 90 DAY PRECEDING AND CURRENT ROW EXCLUDE GROUP)
               AS partner_apps_90d,
           count(*) OVER (
               PARTITION BY customer_id ORDER BY applied_at
               RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP)
               AS customer_prior_applications
    FROM app
)
SELECT
    app.application_id,
    app.customer_id,
    app.partner_id,
    app.applied_at,
    CAST(date_trunc('month', app.applied_at) AS DATE) AS application_month,
    app.decision,
    app.device_fingerprint_id,
    app.contact_phone_id,
    app.address_id,
    -- the application's own fields
    app.segment,
    app.registration_to_application_minutes,
    app.ip_gps_city_mismatch,
    app.application_hour,
    app.id_verification,
    app.phone_tenure_months,
    app.device_category,
    app.model_tier,
    app.retail_price,
    round(app.listed_price / nullif(app.retail_price, 0), 4) AS price_vs_retail,
    app.lease_term_months,
    -- links to earlier applications (shared device, phone or address)
    coalesce(la.linked_total, 0) AS linked_total,
    coalesce(la.linked_7d, 0) AS linked_7d,
    coalesce(la.linked_30d, 0) AS linked_30d,
    coalesce(la.linked_customers_30d, 0) AS linked_customers_30d,
    coalesce(la.linked_defaults, 0) AS linked_defaults,
    CAST(la.linked_defaults AS DOUBLE) / la.linked_total AS linked_default_share,
    -- velocity
    v.device_apps_1d,
    v.device_apps_30d,
    v.phone_apps_1d,
    v.phone_apps_30d,
    v.partner_apps_1d,
    v.partner_apps_7d,
    round(v.partner_apps_7d * 90.0 / 7.0 / nullif(v.partner_apps_90d, 0), 4) AS partner_burst,
    v.customer_prior_applications,
    round(CAST(ph.frauds_365d AS DOUBLE) / nullif(ph.leases_365d, 0), 5) AS partner_fraud_rate,
    -- post-approval, before delivery (NULL without a lease started by the as-of date)
    CASE WHEN o.started_on <= $as_of THEN o.delivery_address_changed END
        AS delivery_address_changed,
    -- target and its maturity
    coalesce(o.started_on <= $as_of, false) AS has_lease,
    CASE WHEN o.started_on <= $as_of
         THEN CAST(fc.confirmed_on IS NOT NULL AND fc.confirmed_on <= $as_of AS INTEGER) END
        AS fraud,
    coalesce(o.started_on + INTERVAL 135 DAY <= $as_of, false) AS fraud_mature
FROM app
LEFT JOIN link_agg la ON la.application_id = app.application_id
LEFT JOIN velocity v ON v.application_id = app.application_id
LEFT JOIN partner_hist ph ON ph.partner_id = app.partner_id AND ph.app_day = app.app_day
LEFT JOIN orders o ON o.application_id = app.application_id
LEFT JOIN fraud_cases fc ON fc.application_id = app.application_id
ORDER BY app.applied_at, app.application_id
