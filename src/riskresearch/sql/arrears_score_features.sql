-- Collection-score features: one row per delinquency episode (the registered table `episodes`,
-- from arrears_episodes.sql), observed on the day the lease enters 1-29 days past due
-- (`entered_on`, the day after the missed due date).
-- Point-in-time rule: a feature uses only events dated strictly before `entered_on`.
-- Parameter $as_of (DATE): the last observed day.
WITH ep AS (
    SELECT e.application_id, e.episode_no, CAST(e.entered_on AS DATE) AS entered_on,
           e.first_installment
    FROM episodes e
),
inst AS (
    SELECT i.application_id, i.installment_no, i.due_date,
           CASE WHEN i.paid_date <= $as_of THEN i.paid_date END AS paid
    FROM installments i
),
-- this lease's payments before the episode (all of them were paid by the entry day, or they
-- would belong to the episode)
own AS (
    SELECT ep.application_id, ep.episode_no,
           count(*) AS paid_before,
           avg(date_diff('day', i.due_date, i.paid)) AS mean_days_late,
           max(date_diff('day', i.due_date, i.paid)) AS max_days_late,
           avg(CASE WHEN i.paid > i.due_date THEN 1.0 ELSE 0.0 END) AS late_share,
           max(CASE WHEN i.installment_no = ep.first_installment - 1
                    THEN date_diff('day', i.due_date, i.paid) END) AS last_days_late,
           max(i.paid) AS last_paid
    FROM ep
    JOIN inst i ON i.application_id = ep.application_id
               AND i.installment_no < ep.first_installment
               AND i.paid < ep.entered_on
    GROUP BY ep.application_id, ep.episode_no
),
own_ep AS (
    SELECT ep.application_id, ep.episode_no,
           count(p.episode_no) AS prior_episodes,
           max(p.max_dpd) AS prior_max_dpd,
           CAST(max(p.cured_on) AS DATE) AS last_cured_on
    FROM ep
    JOIN episodes p ON p.application_id = ep.application_id AND p.episode_no < ep.episode_no
    GROUP BY ep.application_id, ep.episode_no
),
lease AS (
    SELECT ep.application_id, ep.episode_no, ep.entered_on, o.customer_id
    FROM ep JOIN orders o ON o.application_id = ep.application_id
),
-- the customer's other leases on the platform, as visible the day before the entry day
other AS (
    SELECT l.application_id, l.episode_no,
           count(DISTINCT o.application_id) FILTER (
               WHERE o.ended_on IS NULL OR o.ended_on >= l.entered_on) AS other_active_leases,
           count(DISTINCT o.application_id) FILTER (
               WHERE o.status = 'written_off' AND o.ended_on < l.entered_on) AS other_writeoffs,
           max(date_diff('day', i.due_date,
                         CASE WHEN i.paid < l.entered_on THEN i.paid
                              ELSE l.entered_on - 1 END)) AS other_max_dpd,
           count(*) FILTER (WHERE i.paid IS NULL OR i.paid >= l.entered_on) AS other_unpaid
    FROM lease l
    JOIN orders o ON o.customer_id = l.customer_id
                 AND o.application_id <> l.application_id
                 AND o.started_on < l.entered_on
    LEFT JOIN inst i ON i.application_id = o.application_id AND i.due_date < l.entered_on - 1
    GROUP BY l.application_id, l.episode_no
),
prior AS (
    SELECT l.application_id, l.episode_no,
           count(*) AS prior_leases,
           max(pl.max_dpd) AS prior_lease_max_dpd,
           count(*) FILTER (WHERE pl.outcome = 'written_off') AS prior_lease_writeoffs
    FROM lease l
    JOIN prior_leases pl ON pl.customer_id = l.customer_id AND pl.ended_on < l.entered_on
    GROUP BY l.application_id, l.episode_no
)
SELECT ep.application_id,
       ep.episode_no,
       ep.entered_on,
       -- lease
       a.segment,
       o.device_category,
       o.model_tier,
       CAST(o.lease_term_months AS INTEGER) AS lease_term_months,
       o.monthly_rent,
       o.price_vs_retail,
       o.deposit / nullif(o.retail_price * o.units, 0) AS deposit_share,
       o.delivery_address_changed,
       CAST(o.partner_id AS VARCHAR) AS partner,
       ep.first_installment AS installment_no,
       CAST(o.lease_term_months - ep.first_installment AS INTEGER) AS installments_left,
       -- application and bureau (known since the application)
       a.platform_credit_score,
       a.occupation,
       a.stated_monthly_income,
       round(o.monthly_rent / nullif(a.stated_monthly_income, 0), 4) AS payment_to_income,
       a.id_verification,
       a.tax_credit_grade,
       b.max_dpd_24m,
       b.lenders_6m,
       b.utilisation,
       b.inquiries_3m,
       -- this lease's payment history
       coalesce(ow.paid_before, 0) AS paid_before,
       ow.mean_days_late,
       ow.max_days_late,
       ow.late_share,
       ow.last_days_late,
       date_diff('day', ow.last_paid, ep.entered_on) AS days_since_payment,
       coalesce(oe.prior_episodes, 0) AS prior_episodes,
       oe.prior_max_dpd,
       date_diff('day', oe.last_cured_on, ep.entered_on) AS days_since_cure,
       -- the customer's other leases
       coalesce(ot.other_active_leases, 0) AS other_active_leases,
       coalesce(ot.other_writeoffs, 0) + coalesce(pr.prior_lease_writeoffs, 0) AS other_writeoffs,
       greatest(ot.other_max_dpd, pr.prior_lease_max_dpd) AS other_max_dpd,
       coalesce(ot.other_unpaid, 0) AS other_unpaid_installments,
       coalesce(pr.prior_leases, 0) AS prior_leases
FROM ep
JOIN orders o ON o.application_id = ep.application_id
LEFT JOIN applications a ON a.application_id = ep.application_id
LEFT JOIN bureau_reports b ON b.application_id = ep.application_id
LEFT JOIN own ow ON ow.application_id = ep.application_id AND ow.episode_no = ep.episode_no
LEFT JOIN own_ep oe ON oe.application_id = ep.application_id AND oe.episode_no = ep.episode_no
LEFT JOIN other ot ON ot.application_id = ep.application_id AND ot.episode_no = ep.episode_no
LEFT JOIN prior pr ON pr.application_id = ep.application_id AND pr.episode_no = ep.episode_no
ORDER BY ep.application_id, ep.episode_no
