-- Delinquency episodes: maximal spells during which a lease has rent past due.
-- Parameter $as_of (DATE): the last observed day (a payment after it counts as not made).
-- Instalment i is past due on the days (due_date, paid_date] (paid_date = the day it was paid in
-- full; unpaid = open), with days past due = day - due_date, so paying 35 days late reaches 35
-- days past due (the convention of the `bad` target). Overlapping spells of the instalments of a
-- lease form one episode; it ends (cures) on the day the last of them is paid.
WITH inst AS (
    SELECT i.application_id, i.installment_no, i.due_date, i.amount_due,
           CASE WHEN i.paid_date <= $as_of THEN i.paid_date END AS paid,
           -- days past due stop growing at a write-off
           CASE WHEN o.status = 'written_off' AND o.ended_on <= $as_of THEN o.ended_on
                ELSE $as_of END AS stop
    FROM installments i
    JOIN orders o ON o.application_id = i.application_id
    WHERE o.started_on <= $as_of AND i.due_date < $as_of
),
late AS (
    SELECT *, coalesce(paid, DATE '9999-12-31') AS paid_or_open
    FROM inst
    WHERE paid IS NULL OR paid > due_date
),
marked AS (
    SELECT *,
           max(paid_or_open) OVER (
               PARTITION BY application_id ORDER BY due_date, installment_no
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
    FROM late
),
grouped AS (
    SELECT *,
           sum(CASE WHEN prev_end IS NULL OR due_date >= prev_end THEN 1 ELSE 0 END) OVER (
               PARTITION BY application_id ORDER BY due_date, installment_no
               ROWS UNBOUNDED PRECEDING) AS episode_no
    FROM marked
),
episodes AS (
    SELECT application_id,
           CAST(episode_no AS INTEGER) AS episode_no,
           min(due_date) AS first_due,
           CAST(min(installment_no) AS INTEGER) AS first_installment,
           CAST(count(*) AS INTEGER) AS installments,
           sum(amount_due) AS amount,
           CASE WHEN bool_and(paid IS NOT NULL) THEN max(paid) END AS cured_on,
           CAST(max(date_diff('day', due_date, coalesce(paid, stop))) AS INTEGER) AS max_dpd,
           min(CASE WHEN date_diff('day', due_date, coalesce(paid, stop)) >= 30
                    THEN due_date + 30 END) AS reached_30,
           min(CASE WHEN date_diff('day', due_date, coalesce(paid, stop)) >= 60
                    THEN due_date + 60 END) AS reached_60,
           min(CASE WHEN date_diff('day', due_date, coalesce(paid, stop)) >= 90
                    THEN due_date + 90 END) AS reached_90
    FROM grouped
    GROUP BY application_id, episode_no
),
-- the next instalment after the episode's first one: paid strictly before the first one means
-- the customer kept paying current rent while one instalment stayed late (an isolated late
-- payment, not a rolling delinquency)
nxt AS (
    SELECT e.application_id, e.episode_no,
           coalesce(n.paid < f.paid, false) AS isolated
    FROM episodes e
    JOIN inst f ON f.application_id = e.application_id
               AND f.installment_no = e.first_installment
    LEFT JOIN inst n ON n.application_id = e.application_id
                    AND n.installment_no = e.first_installment + 1
)
SELECT e.application_id,
       e.episode_no,
       CAST(e.first_due + 1 AS DATE) AS entered_on,
       e.first_due,
       e.first_installment,
       e.installments,
       CAST(e.amount AS DOUBLE) AS amount,
       CAST(e.cured_on AS DATE) AS cured_on,
       e.max_dpd,
       CAST(e.reached_30 AS DATE) AS reached_30,
       CAST(e.reached_60 AS DATE) AS reached_60,
       CAST(e.reached_90 AS DATE) AS reached_90,
       CASE WHEN o.ended_on <= $as_of AND o.status = 'written_off' AND e.cured_on IS NULL
            THEN o.ended_on END AS written_off_on,
       nx.isolated
FROM episodes e
JOIN orders o ON o.application_id = e.application_id
JOIN nxt nx ON nx.application_id = e.application_id AND nx.episode_no = e.episode_no
ORDER BY e.application_id, e.episode_no
