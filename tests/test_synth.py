"""The simulated platform: determinism, schema, and the behaviour it must contain."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.metrics import roc_auc_score

from riskresearch.synth import ORACLE_TABLES, RAW_TABLES, SimulationConfig, build_warehouse
from tests.conftest import ROOT, SMALL, query


def _documented_schema() -> dict[str, dict[str, str]]:
    """Tables and column types documented in data/README.md (warehouse part)."""
    text = (ROOT / "data" / "README.md").read_text()
    text = text.split("## Modeling table")[0]
    schema: dict[str, dict[str, str]] = {}
    for block in re.split(r"^### ", text, flags=re.M)[1:]:
        name = block.split()[0]
        cols = re.findall(r"^\| `(\w+)` \| (\w+) \|", block, flags=re.M)
        schema[name] = dict(cols)
    return schema


def _actual_schema(db) -> dict[str, dict[str, str]]:
    rows = query(db, "SELECT table_name, column_name, data_type FROM information_schema.columns")
    schema: dict[str, dict[str, str]] = {}
    for r in rows.itertuples():
        schema.setdefault(r.table_name, {})[r.column_name] = r.data_type
    return schema


def test_schema_matches_data_readme(warehouse):
    documented = _documented_schema()
    actual = _actual_schema(warehouse)
    assert set(documented) == set(actual) == {*RAW_TABLES, *ORACLE_TABLES, "warehouse_meta"}
    for table, cols in actual.items():
        assert documented[table] == cols, f"data/README.md is out of date for table {table}"


def test_same_seed_same_tables_other_seed_differs(tmp_path):
    cfg = SimulationConfig(n_applications=3_000, seed=11)
    a, b, c = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"
    build_warehouse(cfg, a)
    build_warehouse(cfg, b)
    build_warehouse(cfg.model_copy(update={"seed": 12}), c)
    for table in (*RAW_TABLES, *ORACLE_TABLES):
        ta = query(a, f"SELECT * FROM {table}")
        tb = query(b, f"SELECT * FROM {table}")
        pd.testing.assert_frame_equal(ta, tb, check_exact=True)
    assert not query(a, "SELECT * FROM applications").equals(query(c, "SELECT * FROM applications"))


def test_sizes_and_shares(warehouse):
    apps = query(warehouse, "SELECT segment, decision FROM applications")
    assert len(apps) == SMALL.n_applications
    assert (apps.segment == "enterprise").mean() == pytest.approx(0.08, abs=0.015)
    declined = (apps.decision == "declined").mean()
    assert 0.25 <= declined <= 1 / 3
    consumers = (apps.segment == "consumer").sum()
    with_bureau = query(warehouse, "SELECT count(*) AS n FROM bureau_reports").n[0]
    assert 1 - with_bureau / consumers == pytest.approx(0.25, abs=0.04)
    partners = query(warehouse, "SELECT count(*) AS n FROM partners").n[0]
    assert 55 <= partners <= 70


def test_declined_have_no_lease_and_are_riskier(warehouse):
    df = query(
        warehouse,
        """SELECT a.decision, o.order_id IS NOT NULL AS has_order, t.true_pd
           FROM applications a LEFT JOIN orders o USING (application_id)
           JOIN oracle_applications t USING (application_id)""",
    )
    assert not df.loc[df.decision == "declined", "has_order"].any()
    approved_pd = df.loc[df.decision == "approved", "true_pd"].mean()
    declined_pd = df.loc[df.decision == "declined", "true_pd"].mean()
    assert declined_pd > 2 * approved_pd
    # mostly but not only the riskier ones: plenty of declines sit below the approved mean PD
    assert (df.loc[df.decision == "declined", "true_pd"] < approved_pd).mean() > 0.2


def test_true_pd_is_calibrated_against_simulated_outcomes(oracle):
    """The closed-form true PD matches the frequency of the simulated outcome, by decile."""
    df = oracle[~oracle.true_fraud].copy()
    df["decile"] = pd.qcut(df.true_pd, 10, labels=False)
    g = df.groupby("decile").agg(
        pd_=("true_pd", "mean"), bad=("true_bad", "mean"), n=("true_pd", "size")
    )
    se = np.sqrt(g.pd_ * (1 - g.pd_) / g.n)
    assert (np.abs(g.bad - g.pd_) < 4 * se + 1e-3).all(), g


def test_oracle_auc_in_realistic_band(modeling, oracle):
    df = modeling.merge(oracle, on="application_id")
    mature = df[df.bad_mature & (df.segment == "consumer")]
    auc = roc_auc_score(mature.bad, mature.true_pd)
    assert 0.75 <= auc <= 0.85
    assert 0.05 <= mature.bad.mean() <= 0.15


def test_bad_target_equals_simulated_outcome(modeling, oracle):
    """SQL derives `bad` from instalments; the simulator drew it directly: they must agree."""
    df = modeling.merge(oracle, on="application_id")
    mature = df[df.bad_mature]
    assert len(mature) > 8_000
    assert (mature.bad.astype(int) == mature.true_bad.astype(int)).all()


def test_fraud_rings(warehouse):
    df = query(
        warehouse,
        """SELECT a.*, t.true_fraud, t.fraud_type, t.ring_id, o.delivery_address_changed,
                  o.started_on
           FROM applications a JOIN oracle_applications t USING (application_id)
           LEFT JOIN orders o USING (application_id)""",
    )
    assert 0.01 <= df.true_fraud.mean() <= 0.02
    rings = df[df.fraud_type == "ring"]
    # members share devices: far fewer fingerprints than applications
    assert rings.device_fingerprint_id.nunique() < 0.5 * len(rings)
    # bursts: most of a ring's applications arrive within two weeks
    span = rings.groupby("ring_id").applied_at.agg(lambda s: (s.max() - s.min()).days)
    assert span.median() <= 14
    honest = df[~df.true_fraud]
    assert rings.retail_price.mean() > 1.3 * honest.retail_price.mean()
    assert rings.delivery_address_changed.mean() > 0.6 > 10 * honest.delivery_address_changed.mean()
    # a few bad partners carry most ring traffic
    top = rings.partner_id.value_counts(normalize=True).head(8).sum()
    assert top > 0.6


def test_fraud_never_pays_first_instalment(warehouse):
    df = query(
        warehouse,
        """SELECT i.paid_date FROM installments i
           JOIN oracle_applications t USING (application_id)
           WHERE t.true_fraud AND i.installment_no = 1""",
    )
    assert len(df) > 20
    assert df.paid_date.isna().all()


def test_drift_new_channel_and_shock(warehouse, oracle):
    apps = query(
        warehouse,
        """SELECT a.application_id, a.applied_at, p.worse_new_channel
           FROM applications a JOIN oracle_partners p USING (partner_id)""",
    ).merge(oracle, on="application_id")
    month = (apps.applied_at.dt.year - 2024) * 12 + apps.applied_at.dt.month
    assert not apps.loc[month < SMALL.new_channel_month, "worse_new_channel"].any()
    assert apps.loc[month >= SMALL.new_channel_month, "worse_new_channel"].mean() > 0.08
    honest = ~apps.true_fraud
    before = apps.loc[honest & month.between(8, 15), "true_pd"].mean()
    after = apps.loc[honest & (month >= SMALL.shock_month), "true_pd"].mean()
    assert after > 1.3 * before


def test_late_cohorts_are_immature(modeling):
    as_of = pd.Timestamp(SMALL.as_of)
    started = modeling[modeling.has_performance]
    immature = started.started_on + pd.DateOffset(months=6) > as_of
    assert (started.performance_status == np.where(immature, "immature", "mature")).all()
    assert started.loc[immature, "bad"].isna().all()
    assert immature.mean() > 0.15


def test_collection_ladder_is_consistent(warehouse):
    df = query(
        warehouse,
        """SELECT c.*, o.status FROM collection_actions c JOIN orders o USING (application_id)""",
    )
    assert (df.loc[df.outcome == "paid", "amount_recovered"] > 0).all()
    recovery = df[df.action_type == "device_recovery"]
    assert (recovery.status == "written_off").all()
    assert (recovery.outcome == "device_recovered").eq(recovery.resale_value.notna()).all()
    # the stronger action at 30 days past due was randomised: both arms are present
    at30 = df[df.days_past_due == 30].action_type.value_counts()
    assert at30.get("negotiation", 0) > 50 and at30.get("call_reminder", 0) > 50


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("n_applications", 10, "n_applications"),
        ("seed", -1, "seed"),
        ("start", "2024-01-15", "first day of a month"),
        ("shock_month", 99, "shock_month"),
        ("colour", "red", "colour"),
    ],
)
def test_config_rejects_bad_values(field, value, match):
    with pytest.raises(ValidationError, match=match):
        SimulationConfig(**{field: value})


@pytest.mark.parametrize("n", [100_000, 10_000_000, 20_000_000])
def test_hashed_id_ranges_never_overlap_within_a_column(n):
    """A reused id would be a false fraud-ring link; 10M+ simulations once reused devices."""
    from riskresearch.synth.population import id_bases

    n_cust = n  # at most one customer per application
    b = id_bases(n)
    devices = [(5_000_000, 5_000_000 + n_cust), (b["changed_device"], b["changed_device"] + n)]
    devices.append((b["ring_device"], b["ring_device"] + 4 * n + 3))
    phones = [(9_000_000, 9_000_000 + n_cust), (b["ring_phone"], b["ring_phone"] + 2 * n + 2)]
    addresses = [(1_000_000, 1_000_000 + n_cust), (b["ring_address"], b["ring_address"] + 4 * n)]
    for ranges in (devices, phones, addresses):
        ranges.sort()
        assert all(hi <= lo2 for (_, hi), (lo2, _) in itertools.pairwise(ranges))
    if n <= 1_000_000:  # small simulations keep their ids (same tables as before)
        assert b == {
            "changed_device": 20_000_000,
            "ring_device": 30_000_000,
            "ring_phone": 40_000_000,
            "ring_address": 50_000_000,
        }


def test_block_sizes_cover_the_population_in_equal_blocks():
    from riskresearch.synth.warehouse import BLOCK_SIZE, block_sizes

    assert block_sizes(BLOCK_SIZE) == [BLOCK_SIZE]
    for n in (BLOCK_SIZE + 1, 10 * BLOCK_SIZE, 10 * BLOCK_SIZE + 7):
        sizes = block_sizes(n)
        assert sum(sizes) == n
        assert max(sizes) <= BLOCK_SIZE
        assert max(sizes) - min(sizes) <= 1
        assert len(sizes) == -(-n // BLOCK_SIZE)


def test_a_population_drawn_in_blocks_is_one_consistent_warehouse(tmp_path, monkeypatch):
    """Above BLOCK_SIZE the population is drawn block by block (bounded memory); the tables must
    still read as one platform: unique keys, ids ascending in time, no identifier reused between
    blocks (a false fraud-ring link), and independent draws in each block."""
    import riskresearch.synth.warehouse as wh

    monkeypatch.setattr(wh, "BLOCK_SIZE", 2_000)
    monkeypatch.setattr(wh, "CHUNK_SIZE", 1_500)  # chunks run across block ends
    cfg = SimulationConfig(n_applications=6_000, seed=5)
    counts = build_warehouse(cfg, tmp_path / "blocks.duckdb")
    db = tmp_path / "blocks.duckdb"
    assert counts["applications"] == 6_000
    apps = query(
        db,
        """SELECT a.*, t.ring_id, t.fraud_type FROM applications a
           JOIN oracle_applications t USING (application_id) ORDER BY application_id""",
    )
    assert apps.application_id.tolist() == list(range(1, 6_001))
    assert apps.applied_at.is_monotonic_increasing  # ids follow arrival order across blocks
    # three blocks drew different applicants: equal instants would mean a repeated stream
    assert apps.applied_at.duplicated().mean() < 0.01
    customers = query(db, "SELECT customer_id FROM customers")
    assert customers.customer_id.is_unique
    assert set(apps.customer_id) == set(customers.customer_id)
    prior = query(db, "SELECT prior_lease_id, customer_id FROM prior_leases")
    assert prior.prior_lease_id.is_unique and set(prior.customer_id) <= set(customers.customer_id)
    orders = query(db, "SELECT order_id FROM orders")
    assert orders.order_id.is_unique
    # each block's rings have their own ids and identifier pools; a customer belongs to one block
    rings = apps[apps.ring_id >= 0]
    ring_ids = sorted(rings.ring_id.unique())
    assert len(ring_ids) >= 3 and ring_ids == list(range(len(ring_ids)))
    span = rings.groupby("ring_id").applied_at.agg(lambda s: (s.max() - s.min()).days)
    assert span.max() <= 60  # one burst each: no two blocks' rings share an id
    for col in ("device_fingerprint_id", "contact_phone_id", "address_id"):
        assert (rings.groupby(col).ring_id.nunique() == 1).all(), f"{col} links two fraud rings"
    household = apps[apps.fraud_type == "none"].groupby("device_fingerprint_id").customer_id
    spread = household.agg(lambda s: s.max() - s.min())
    assert spread.max() < 2_000  # shared devices stay within one block's customers
    # the blocks together behave like one simulation of the same size
    whole = tmp_path / "whole.duckdb"
    monkeypatch.setattr(wh, "BLOCK_SIZE", 1_000_000)
    build_warehouse(cfg, whole)
    one = query(whole, "SELECT decision, segment FROM applications")
    assert (apps.decision == "approved").mean() == pytest.approx(
        (one.decision == "approved").mean(), abs=0.03
    )
    assert (apps.segment == "enterprise").mean() == pytest.approx(
        (one.segment == "enterprise").mean(), abs=0.02
    )


def test_running_out_of_a_memory_cap_is_one_line_and_keeps_the_old_warehouse(tmp_path):
    from riskresearch.errors import BuildError

    path = tmp_path / "w.duckdb"
    path.write_bytes(b"a good warehouse")
    with pytest.raises(BuildError, match=r"'.*w.duckdb' ran out of DuckDB memory") as exc:
        build_warehouse(SimulationConfig(n_applications=2_000), path, memory_limit="1MB")
    assert "\n" not in str(exc.value)
    assert path.read_bytes() == b"a good warehouse"
    assert [p.name for p in tmp_path.iterdir()] == ["w.duckdb"]
