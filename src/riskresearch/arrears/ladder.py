"""Ladder policies: simulate a policy on the ladder population, recommend the best ladder per
score band and compare it with the historical one."""

from __future__ import annotations

import itertools

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
