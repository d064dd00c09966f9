"""Ladder policies: simulate a policy on the ladder population, recommend the best ladder per
score band and compare it with the historical one."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskresearch.arrears.effects import (
    LADDER_CHOICES,
    LADDER_FIXED,
    LADDER_STEPS,
    ActionEffects,
)
from riskresearch.errors import ConfigError


def _check_effects(effects, owner: str) -> None:
    if not isinstance(effects, ActionEffects):
        raise ConfigError(
            f"The 'effects' parameter of {owner} must be an ActionEffects from "
            f"action_effects. Got {type(effects).__name__} instead."
        )


def _policy_shares(policy, effects: ActionEffects, owner: str) -> pd.DataFrame:
    """Share of the stronger action per band and step (rows: bands; columns: 30, 60, 90)."""
    band_ids = effects.bands["band"].tolist()
    if isinstance(policy, str):
        if policy != "baseline":
            raise ConfigError(
                f"The 'policy' parameter of {owner} must be 'baseline' or a DataFrame with "
                f"columns band, dpd_30, dpd_60, dpd_90. Got {policy!r} instead."
            )
        return pd.DataFrame(
            {s: [effects.baseline_shares[s]] * len(band_ids) for s in LADDER_CHOICES},
            index=band_ids,
        )
    needed = ["band", *(f"dpd_{s}" for s in LADDER_CHOICES)]
    if not isinstance(policy, pd.DataFrame) or any(c not in policy for c in needed):
        raise ConfigError(
            f"The 'policy' parameter of {owner} must be 'baseline' or a DataFrame with columns "
            f"{needed}. Got {type(policy).__name__} instead."
        )
    if sorted(policy["band"].tolist()) != band_ids:
        raise ConfigError(
            f"The 'policy' of {owner} must give one row per band {band_ids}. Got bands "
            f"{sorted(policy['band'].tolist())} instead."
        )
    out = pd.DataFrame(index=band_ids, columns=list(LADDER_CHOICES), dtype=float)
    for _, row in policy.iterrows():
        for step, choices in LADDER_CHOICES.items():
            action = row[f"dpd_{step}"]
            if action not in choices:
                raise ConfigError(
                    f"The 'policy' of {owner}: dpd_{step} of band {row['band']} must be one of "
                    f"{list(choices)}. Got {action!r} instead."
                )
            out.loc[int(row["band"]), step] = float(action == choices[1])
    return out


def _evaluate(effects: ActionEffects, shares: pd.DataFrame) -> pd.DataFrame:
    """Expected outcome of the ladder population under treated shares (Markov over steps)."""
    st = effects.steps.set_index(["band", "dpd", "action"])
    rows = []
    for _, b in effects.bands.iterrows():
        band = int(b["band"])
        reach, cures, cash, cost = 1.0, 0.0, 0.0, 0.0
        for step in LADDER_STEPS:
            choices = LADDER_CHOICES.get(step, ("call_reminder",))
            s = shares.loc[band, step] if step in LADDER_CHOICES else 0.0
            mix = [(1 - s, st.loc[(band, step, choices[0])])]
            if len(choices) > 1:
                mix.append((s, st.loc[(band, step, choices[1])]))
            p = sum(w * r["cure_rate"] for w, r in mix)
            cost += reach * sum(w * r["cost"] for w, r in mix)
            # partial_cash is already a mean over all rows of the action (0 on a cure)
            cash += reach * sum(
                w * (r["cure_rate"] * r["cash_at_cure"] + r["partial_cash"]) for w, r in mix
            )
            cures += reach * p
            reach *= 1 - p
        n = b["episodes"]
        s30 = shares.loc[band, 30]
        call = st.loc[(band, 30, "call_reminder"), "cost"]
        treated = st.loc[(band, 30, LADDER_CHOICES[30][1]), "cost"]
        iso_cost = b["isolated_30"] * ((1 - s30) * call + s30 * treated) + b["isolated_45"] * call
        devices = reach * b["recovery_rate"]
        rows.append(
            {
                "band": band,
                "episodes": int(n),
                "cures": n * cures,
                "cure_rate": cures,
                "cash": n * cash,
                "resale": n * devices * b["resale"],
                "cost": n * (cost + reach * b["recovery_cost"]) + iso_cost,
                "devices_recovered": n * devices,
                "write_offs": n * reach,
                "written_off_balance": n * reach * b["written_off_balance"],
            }
        )
    return pd.DataFrame(rows)


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    total = table.drop(columns=["band"]).sum(numeric_only=True).to_dict()
    total["band"] = "all"
    table = table.assign(band=table["band"].astype(str))
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    table["cure_rate"] = table["cures"].astype(float) / table["episodes"].astype(float)
    table["recovered"] = table["cash"].astype(float) + table["resale"].astype(float)
    table["net"] = (
        table["recovered"]
        - table["cost"].astype(float)
        - table["written_off_balance"].astype(float)
    )
    cols = [
        "band",
        "episodes",
        "cures",
        "cure_rate",
        "cash",
        "resale",
        "recovered",
        "cost",
        "devices_recovered",
        "write_offs",
        "written_off_balance",
        "net",
    ]
    out = table[cols]
    return out.astype({c: float for c in cols[1:]}).astype({"episodes": np.int64})


def simulate_ladder(policy, effects: ActionEffects) -> pd.DataFrame:
    """Expected cures, recoveries, costs and devices of a ladder policy on the ladder population.

    Parameters
    ----------
    policy : "baseline" or pandas.DataFrame
        ``"baseline"`` is the historical ladder (the stronger action at 30/60/90 dpd with the
        historical shares). A DataFrame gives per ``band`` the action at ``dpd_30`` and
        ``dpd_60`` (``call_reminder`` or ``negotiation``) and ``dpd_90`` (``call_reminder`` or
        ``legal_notice``), e.g. the output of :func:`recommend_ladder`.
    effects : ActionEffects
        Output of :func:`action_effects`.

    Returns
    -------
    pandas.DataFrame
        One row per band and a total row ``all``: ``episodes``, expected ``cures`` and
        ``cure_rate``, ``cash`` (arrears paid at cures and partial payments), ``resale`` (net
        resale of recovered devices), ``recovered`` (cash + resale), ``cost`` (every action
        from 30 dpd on, device recovery included, and the 30/45-dpd actions of isolated late
        payments), ``devices_recovered``, ``write_offs``, ``written_off_balance`` (outstanding
        rent lost at write-off) and ``net`` = recovered - cost - written-off balance.

    Notes
    -----
    Each step's cure probability depends on the band and the action taken there, not on the
    earlier actions (as the random draws of the historical ladder allow to estimate); steps
    at 5 and 15 dpd are before the ladder population is defined and are left as they are.
    """
    _check_effects(effects, "simulate_ladder")
    return _finish(_evaluate(effects, _policy_shares(policy, effects, "simulate_ladder")))


def recommend_ladder(effects: ActionEffects, objective: str = "net") -> pd.DataFrame:
    """The ladder that maximises the expected net recovery in each score band.

    Every combination of the stronger or the weaker action at 30, 60 and 90 dpd is simulated
    per band (:func:`simulate_ladder`); the best objective wins, the cheaper ladder on a tie.

    Parameters
    ----------
    effects : ActionEffects
        Output of :func:`action_effects`.
    objective : {"net", "cash"}, default "net"
        ``"net"``: recovered - cost - written-off balance (a cure keeps the lease's remaining
        rent on the books). ``"cash"``: recovered - cost only (a cure is worth the arrears it
        pays; a write-off the device's resale), which favours cheap actions.

    Returns
    -------
    pandas.DataFrame
        The recommended ladder, one row per band (1 = least likely to cure): ``score_from``,
        ``score_to``, the action at each step ``dpd_5`` ... ``dpd_120``, and per episode the
        expected ``cure_rate``, ``recovered``, ``cost``, ``devices_recovered`` and ``net``,
        ``objective``, and ``gain``: the objective's gain over the historical ladder per
        episode.
    """
    _check_effects(effects, "recommend_ladder")
    if objective not in ("net", "cash"):
        raise ConfigError(
            "The 'objective' parameter of recommend_ladder must be 'net' or 'cash'. "
            f"Got {objective!r} instead."
        )
    band_ids = effects.bands["band"].tolist()
    base = _finish(_evaluate(effects, _policy_shares("baseline", effects, "recommend"))).iloc[:-1]

    def value(r) -> float:
        return float(r["net"] if objective == "net" else r["recovered"] - r["cost"])

    best: dict[int, tuple] = {}
    for combo in itertools.product((0.0, 1.0), repeat=len(LADDER_CHOICES)):
        shares = pd.DataFrame([combo] * len(band_ids), index=band_ids, columns=list(LADDER_CHOICES))
        res = _finish(_evaluate(effects, shares)).iloc[:-1]
        for i, b in enumerate(band_ids):
            r = res.iloc[i]
            key = (round(value(r), 6), -float(r["cost"]))
            if b not in best or key > best[b][0]:
                best[b] = (key, combo, r)
    rows = []
    for i, b in enumerate(band_ids):
        _, combo, r = best[b]
        n = max(int(r["episodes"]), 1)
        info = effects.bands.iloc[i]
        row = {"band": b, "score_from": info["score_from"], "score_to": info["score_to"]}
        for step in (5, 15, 30, 45, 60, 90, 120):
            if step in LADDER_CHOICES:
                row[f"dpd_{step}"] = LADDER_CHOICES[step][
                    int(combo[list(LADDER_CHOICES).index(step)])
                ]
            else:
                row[f"dpd_{step}"] = LADDER_FIXED[step]
        row.update(
            {
                "episodes": int(r["episodes"]),
                "cure_rate": float(r["cure_rate"]),
                "recovered": float(r["recovered"]) / n,
                "cost": float(r["cost"]) / n,
                "devices_recovered": float(r["devices_recovered"]) / n,
                "net": float(r["net"]) / n,
                "objective": objective,
                "gain": (value(r) - value(base.iloc[i])) / n,
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)


def ladder_comparison(effects: ActionEffects, policy, name: str = "policy") -> pd.DataFrame:
    """Totals of the historical ladder (observed and modelled) and of ``policy``.

    Parameters
    ----------
    effects : ActionEffects
        Output of :func:`action_effects`.
    policy : "baseline" or pandas.DataFrame
        A policy as in :func:`simulate_ladder`.
    name : str, default "policy"
        Label of the policy's row.

    Returns
    -------
    pandas.DataFrame
        Rows ``baseline (observed)``, ``baseline (model)`` and ``name``; columns as the
        ``all`` row of :func:`simulate_ladder`. The first two rows agreeing shows the model
        reproduces the history it was estimated on.
    """
    obs = effects.observed.copy()
    obs["cure_rate"] = 0.0
    observed = _finish(obs).iloc[[-1]]
    rows = [
        observed.assign(ladder="baseline (observed)"),
        simulate_ladder("baseline", effects).iloc[[-1]].assign(ladder="baseline (model)"),
        simulate_ladder(policy, effects).iloc[[-1]].assign(ladder=name),
    ]
    out = pd.concat(rows, ignore_index=True).drop(columns=["band"])
    return out[["ladder", *[c for c in out.columns if c != "ladder"]]]


# ------------------------------------------------------------------------------------------
# band-specific ladders, only where the data supports a difference
# ------------------------------------------------------------------------------------------
@dataclass
class BandLadders:
    """The ladder of each collection-score band, band-specific only where the data supports it
    (:func:`band_ladders`).

    Attributes
    ----------
    ladders : pandas.DataFrame
        One row per band: ``band``, ``score_from``, ``score_to``, the action at each step
        ``dpd_5`` ... ``dpd_120``, ``ladder`` (``"common"`` or ``"band-specific"``) and
        ``net`` (expected net value per episode reaching 30 dpd under that ladder).
    tests : pandas.DataFrame
        One row per band and choice step (30, 60, 90 dpd): ``common_action`` and
        ``alternative``, their ``rows``, observed cure rates (``rate_common``,
        ``rate_alternative``), ``advantage`` (expected net value per episode reaching the step
        of the alternative minus the common action, the band's own later steps held fixed),
        its interval ``low`` .. ``high``, ``point_best`` (the better action by the point
        estimate alone), ``chosen`` and ``basis``.
    common : dict
        The common ladder: step (30, 60, 90) -> action, chosen on all bands pooled.
    supported : bool
        Whether any band's ladder differs from the common one.
    statement : str
        One sentence saying which bands differ and why, or that the data supports no
        difference between bands.
    level : float
        Family-wise confidence level of the intervals (Bonferroni over every test).
    """

    ladders: pd.DataFrame
    tests: pd.DataFrame
    common: dict[int, str]
    supported: bool
    statement: str
    level: float


def _band_stats(effects: ActionEffects) -> tuple[dict, dict]:
    """Per band (and ``"all"`` pooled): step/action statistics and write-off economics."""
    steps = effects.steps
    if "partial_sd" not in steps.columns:
        raise ConfigError(
            "band_ladders needs the 'partial_observed' and 'partial_sd' columns of "
            "action_effects(); re-run action_effects with this version."
        )
    stats: dict = {}
    for r in steps.itertuples(index=False):
        stats[(int(r.band), int(r.dpd), r.action)] = {
            "n": int(r.rows),
            "rate": float(r.cure_rate),
            "observed": float(r.observed_rate) if r.rows else np.nan,
            "partial": float(r.partial_cash),
            "partial_obs": float(r.partial_observed) if r.rows else np.nan,
            "partial_sd": float(r.partial_sd) if r.rows else np.nan,
            "cash": float(r.cash_at_cure),
            "cost": float(r.cost),
        }
    for (step, action), g in steps.groupby(["dpd", "action"]):
        n = g["rows"].to_numpy(dtype=float)
        total = n.sum()
        cures = g["cures"].to_numpy(dtype=float)
        obs_part = np.nan_to_num(g["partial_observed"].to_numpy(dtype=float))
        sd = np.nan_to_num(g["partial_sd"].to_numpy(dtype=float))
        mean_part = float((n * obs_part).sum() / total) if total else 0.0
        # pooled variance: within-band variance plus the spread of the band means
        var = float((n * (sd**2 + (obs_part - mean_part) ** 2)).sum() / total) if total else 0.0
        rate = float(cures.sum() / total) if total else 0.0
        cash = g["cash_at_cure"].to_numpy(dtype=float)
        stats[("all", int(step), action)] = {
            "n": int(total),
            "rate": rate,
            "observed": rate,
            "partial": mean_part,
            "partial_obs": mean_part,
            "partial_sd": var**0.5,
            "cash": float((cures * cash).sum() / cures.sum()) if cures.sum() else float(cash[0]),
            "cost": float(g["cost"].iloc[0]),
        }
    econ: dict = {}
    bands = effects.bands
    for r in bands.itertuples(index=False):
        # net value per episode reaching write-off: resale of a recovered device - recovery
        # cost - the outstanding rent lost
        econ[int(r.band)] = float(
            r.recovery_rate * r.resale - r.recovery_cost - r.written_off_balance
        )
    w = bands["write_offs"].to_numpy(dtype=float) if "write_offs" in bands else None
    if w is None or w.sum() == 0:
        w = bands["episodes"].to_numpy(dtype=float)
    w = w / w.sum()
    econ["all"] = float((w * np.array([econ[int(b)] for b in bands["band"]])).sum())
    return stats, econ


def _step_value(s: dict, later: float) -> float:
    """Expected net value per episode reaching a step: its action, then ``later`` if no cure."""
    return s["rate"] * s["cash"] + s["partial"] - s["cost"] + (1 - s["rate"]) * later


def _advantage(alt: dict, base: dict, later: float) -> tuple[float, float]:
    """Net advantage of ``alt`` over ``base`` per episode reaching the step, and its standard
    error from the rows of each action (cure indicator and part payment per row)."""
    value = alt["cash"] - later  # what a cure is worth over going on down the ladder
    adv = _step_value(alt, later) - _step_value(base, later)
    var = 0.0
    for s in (alt, base):
        if s["n"] == 0 or not np.isfinite(s["observed"]):
            return adv, np.inf
        p, m, sd = s["observed"], s["partial_obs"], s["partial_sd"]
        # y = paid * value + part payment (0 on a cure): var = v^2 p(1-p) + sd^2 - 2 v p m
        row_var = value**2 * p * (1 - p) + sd**2 - 2 * value * p * m
        var += max(row_var, 0.0) / s["n"]
    return adv, var**0.5


def band_ladders(effects: ActionEffects, level: float = 0.95) -> BandLadders:
    """One ladder for every band, and a band-specific one only where the data supports it.

    The *common* ladder is the best ladder for all bands pooled (backward from 90 dpd: at each
    choice step the action of higher expected net value per episode, given the later steps).
    A band departs from it at a step only when its own advantage for the other action is
    significant: the interval of the advantage (the band's later steps held fixed) lies above
    zero at the family-wise ``level`` (Bonferroni over every band and choice step).

    Parameters
    ----------
    effects : ActionEffects
        Output of :func:`action_effects`.
    level : float, default 0.95
        Family-wise confidence level of the intervals, between 0.5 and 1.

    Returns
    -------
    BandLadders

    Notes
    -----
    The value is :func:`recommend_ladder`'s ``"net"`` objective per episode (arrears paid at a
    cure and part payments, minus action costs, plus resale of a recovered device, minus the
    outstanding rent lost at write-off). The interval counts the sampling noise of the two
    actions' cure rates and part payments in the band (their rows, unshrunk), not that of the
    later steps' values, which both actions share.
    """
    from scipy.stats import norm

    _check_effects(effects, "band_ladders")
    if isinstance(level, bool) or not isinstance(level, float | int) or not 0.5 <= level < 1:
        raise ConfigError(
            f"The 'level' parameter of band_ladders must be a number from 0.5 to below 1. "
            f"Got {level!r} instead."
        )
    stats, econ = _band_stats(effects)
    band_ids = [int(b) for b in effects.bands["band"]]
    choice_steps = list(LADDER_CHOICES)
    n_tests = len(band_ids) * len(choice_steps)
    z = float(norm.ppf(1 - (1 - level) / 2 / n_tests))

    def backward(band, choose) -> tuple[dict[int, str], float]:
        later = econ[band]
        chosen: dict[int, str] = {}
        for step in reversed(LADDER_STEPS):
            choices = LADDER_CHOICES.get(step, ("call_reminder",))
            action = choose(band, step, choices, later) if len(choices) > 1 else choices[0]
            chosen[step] = action
            later = _step_value(stats[(band, step, action)], later)
        return chosen, later

    def best(band, step, choices, later):
        values = [_step_value(stats[(band, step, a)], later) for a in choices]
        return choices[int(np.argmax(values))]  # the weaker (cheaper) action on a tie

    pooled, _ = backward("all", best)
    common = {s: pooled[s] for s in choice_steps}
    tests = []

    def supported(band, step, choices, later):
        base = common[step]
        alt = next(a for a in choices if a != base)
        adv, se = _advantage(stats[(band, step, alt)], stats[(band, step, base)], later)
        low, high = adv - z * se, adv + z * se
        chosen = alt if low > 0 else base
        if chosen != base:
            basis = "band-specific: the alternative is significantly better in this band"
        elif adv > 0:
            basis = "common: the band's point estimate prefers the alternative, not significantly"
        else:
            basis = "common: the band agrees with the common ladder"
        tests.append(
            {
                "band": band,
                "dpd": step,
                "common_action": base,
                "alternative": alt,
                "rows_common": stats[(band, step, base)]["n"],
                "rows_alternative": stats[(band, step, alt)]["n"],
                "rate_common": stats[(band, step, base)]["observed"],
                "rate_alternative": stats[(band, step, alt)]["observed"],
                "advantage": adv,
                "low": low,
                "high": high,
                "point_best": alt if adv > 0 else base,
                "chosen": chosen,
                "basis": basis,
            }
        )
        return chosen

    rows = []
    for i, band in enumerate(band_ids):
        chosen, net = backward(band, supported)
        info = effects.bands.iloc[i]
        row = {"band": band, "score_from": info["score_from"], "score_to": info["score_to"]}
        for step in (5, 15, 30, 45, 60, 90, 120):
            row[f"dpd_{step}"] = chosen.get(step, LADDER_FIXED.get(step))
        row["ladder"] = (
            "band-specific" if any(chosen[s] != common[s] for s in choice_steps) else "common"
        )
        row["net"] = net
        rows.append(row)
    ladders = pd.DataFrame(rows)
    tests = pd.DataFrame(tests).sort_values(["band", "dpd"], kind="stable").reset_index(drop=True)
    differ = tests[tests["chosen"] != tests["common_action"]]
    common_text = ", ".join(f"{s} dpd {common[s]}" for s in choice_steps)
    pct = f"{level:.0%}"
    if len(differ):
        parts = [
            f"band {r.band} takes {r.chosen} at {r.dpd} dpd ({r.advantage:+,.0f} per episode, "
            f"{pct} interval {r.low:+,.0f} .. {r.high:+,.0f})"
            for r in differ.itertuples(index=False)
        ]
        statement = (
            f"Band-specific ladders: {'; '.join(parts)}; every other step follows the common "
            f"ladder ({common_text})."
        )
    else:
        prefer = tests[tests["point_best"] != tests["common_action"]]
        why = (
            "every band's best action is the common one at every step"
            if prefer.empty
            else f"{len(prefer)} band-step(s) lean the other way but no advantage is significant "
            f"at {pct} (Bonferroni over {n_tests} tests)"
        )
        statement = (
            f"The data supports no difference between the collection-score bands: {why}. "
            f"Every band gets the common ladder ({common_text})."
        )
    return BandLadders(
        ladders=ladders,
        tests=tests,
        common=common,
        supported=bool(len(differ)),
        statement=statement,
        level=float(level),
    )
