#!/usr/bin/env python3
"""The core household model of povsim, vectorised with NumPy: the reference that
benches/compare.sh measures the engine against.

It implements, on whole-population arrays, exactly the equations of docs/model.md for
the mechanisms that benches/reference/core.toml leaves on: synthetic households
(groups, villages, size, labour, schooling, land, irrigation, livestock, registered
causes, permanent income effect), the income process (persistent AR(1) and transitory
shocks, jobs kept and found), serious illness with its bills and lost labour, village
droughts, dibao, and dynamic monitoring (identification with a risk, packages sized by
the budget, risk eliminated on stable income) with the register's year-end review.

Every parameter is read from the resolved scenario (`povsim validate core.toml`), so
the two implementations cannot drift apart in their inputs. Random numbers come from
NumPy's own generator: the two agree in distribution, not draw for draw, and their
return rates must agree within Monte Carlo error.

    python3 core_model.py RESOLVED.toml [--households N] [--replications R] [--seed S]

prints one JSON line: the mean yearly return rate per replication, its mean, and
household-years per second.
"""

import argparse
import json
import sys
import time
import tomllib

import numpy as np

CAUSES = ["illness", "funds", "skills", "labour", "disability", "schooling",
          "disaster", "infrastructure", "motivation"]


def synthesise(p, n, rng):
    """The initial households, as in population::household."""
    pop, sim = p["population"], p["simulation"]
    shocks = p["shocks"]["income"]
    villages_dry = rng.random(sim["villages"]) < pop["dry_village_share"]
    u_group = rng.random(n)
    lifted = u_group < pop["lifted_share"]
    marginal = ~lifted & (u_group < pop["lifted_share"] + pop["marginal_share"])
    village = np.minimum((rng.random(n) * sim["villages"]).astype(np.int64), sim["villages"] - 1)
    dry = villages_dry[village]
    size = np.minimum(1 + rng.poisson(max(pop["household_size_mean"] - 1.0, 0.0), n), 12)
    head_age = np.clip(pop["head_age_mean"] + pop["head_age_sd"] * rng.standard_normal(n), 18.0, 95.0)
    labour = np.maximum(rng.binomial(size, pop["labour_share"]), (head_age < p["demography"]["elderly_age"]).astype(np.int64))
    skill = pop["schooling_mean"] + pop["schooling_sd"] * rng.standard_normal(n) \
        - np.where(lifted, pop["registered_schooling_gap"], 0.0)
    s_land = pop["land_sigma"]
    land = pop["land_mean"] * np.exp(s_land * rng.standard_normal(n) - s_land ** 2 / 2)
    irrigated = np.where(dry, pop["irrigated_share_dry"], pop["irrigated_share_plain"])
    s_assets = pop["assets_sigma"]
    assets = pop["assets_mean"] * np.exp(s_assets * rng.standard_normal(n) - s_assets ** 2 / 2)
    shift = np.where(lifted, pop["lifted_income_shift"],
                     np.where(marginal, pop["marginal_income_shift"], 0.0))
    alpha = shift + pop["permanent_sd"] * rng.standard_normal(n)
    stationary = shocks["persistent_sd"] / np.sqrt(1 - shocks["rho"] ** 2) if shocks["enabled"] else 0.0
    u = stationary * rng.standard_normal(n)
    # The recorded cause of registered households shapes them.
    shares = np.array([pop["causes"][c] for c in CAUSES])
    cause = np.searchsorted(np.cumsum(shares), rng.random(n), side="right")
    cause = np.where(lifted, np.minimum(cause, len(CAUSES) - 1), -1)
    fx = pop["cause_effects"]
    named = {c: cause == i for i, c in enumerate(CAUSES)}
    assets = np.where(named["funds"], assets * fx["funds_assets_factor"], assets)
    skill = np.where(named["skills"], skill - fx["skills_schooling_gap"], skill)
    labour = np.where(named["labour"], np.maximum(labour - fx["labour_units_lost"], 0), labour)
    labour = np.where(named["disability"], np.maximum(labour - fx["disability_members"], 0), labour)
    irrigated = np.where(named["disaster"], irrigated * fx["disaster_irrigated_factor"], irrigated)
    irrigated = np.where(named["infrastructure"], irrigated * fx["infrastructure_irrigated_factor"],
                         irrigated)
    labour = np.minimum(labour, size)
    skill = np.clip(skill, 0.0, pop["schooling_max"])
    jobs = rng.binomial(labour, employment_probability(p, skill))
    return {
        "dry_villages": villages_dry, "village": village, "size": size.astype(np.float64),
        "head_age": np.round(head_age), "labour": labour, "skill": skill, "land": land,
        "irrigated": irrigated, "assets": assets, "alpha": alpha, "u": u,
        "registered": lifted.copy(), "lifted": lifted, "jobs": jobs,
        "dibao_access": rng.random(n), "assessed": np.full(n, np.inf),
        "on_dibao": np.zeros(n, bool), "monitored": np.zeros(n, bool),
        "verified_poor": np.zeros(n, bool), "below_years": np.zeros(n, np.int64),
        "prev_register": np.zeros(n),
        "years_above": np.zeros(n, np.int64), "poor_prev": np.zeros(n, bool),
        "sick_years": np.zeros(n, np.int64),
    }


def employment_probability(p, skill):
    inc = p["income"]
    base = inc["employment_base"]
    logit = np.log(base / (1 - base)) + inc["employment_schooling_effect"] * (
        skill - p["population"]["schooling_mean"])
    return 1.0 / (1.0 + np.exp(-logit))


def replication(p, n, rng):
    """One replication; returns the yearly return rates of the recorded years."""
    h = synthesise(p, n, rng)
    sim, inc, sh = p["simulation"], p["income"], p["shocks"]
    ill, drought, income_shocks = sh["illness"], sh["hazards"]["drought"], sh["income"]
    mon = p["policy"]["monitoring"]
    reg = p["policy"]["register"]
    dib = p["policy"]["social_security"]["dibao"]
    detection = min(max(mon["detection_rate"] + (1 - mon["detection_rate"]) * mon["data_sharing"]
                        * mon["data_sharing_detection_gain"], 0.0), 1.0)
    lag = min(max(mon["response_lag"] * (1 - mon["data_sharing"] * mon["data_sharing_lag_cut"]), 0.0), 1.0)
    shock_var = income_shocks["persistent_sd"] ** 2 / (1 - income_shocks["rho"] ** 2) \
        + income_shocks["transitory_sd"] ** 2
    variance_correction = (p["population"]["permanent_sd"] ** 2 + shock_var) / 2
    p_star = employment_probability(p, h["skill"])  # schooling and motivation do not change
    sep = inc["job_separation"]
    find = np.minimum(sep * p_star / (1 - p_star), 1.0)
    ws, spread = inc["wage_sigma"], sh["disaster_spread"]
    size = h["size"]
    budget = (mon["budget_per_household"] + mon["social_fund_per_household"]) * n
    rates = []
    for t in range(-sim["burn_in_years"], sim["years"]):
        g = (1 + inc["nominal_growth"]) ** t
        z = p["poverty_line"]["base"] * (1 + p["poverty_line"]["annual_growth"]) ** t
        tau = mon["threshold_ratio"] * z
        standard = dib["standard"] * (1 + dib["standard_growth"]) ** t

        # Villages' droughts.
        dry_v = h["dry_villages"]
        hit_v = rng.random(dry_v.size) < np.where(dry_v, drought["probability_dry"],
                                                  drought["probability_irrigated"])
        mean_v = np.where(dry_v, drought["loss_mean_dry"], drought["loss_mean_irrigated"])
        conc = drought["loss_concentration"]
        loss_v = np.where(hit_v, rng.beta(mean_v * conc, (1 - mean_v) * conc), 0.0)

        # Illness.
        prob = np.minimum(ill["probability"] * (1 + ill["age_slope"] * np.maximum(h["head_age"] - ill["age_pivot"], 0)), 1.0)
        is_ill = rng.random(n) < prob
        labour_lost = h["sick_years"] > 0
        h["sick_years"] = np.maximum(h["sick_years"] - 1, 0)
        cost = np.where(is_ill, ill["cost_median"] * g * np.exp(ill["cost_sigma"] * rng.standard_normal(n)), 0.0)
        loses = is_ill & (rng.random(n) < ill["labour_loss_probability"])
        labour_lost |= loses
        h["sick_years"] = np.where(loses, max(ill["labour_loss_years"] - 1, 0), h["sick_years"])
        out_of_pocket = cost

        # Dibao, decided on the assessed income (last year's, smoothed).
        assessed = h["assessed"]
        eligible = assessed < standard
        enrolled = np.where(eligible, h["on_dibao"] | (h["dibao_access"] < dib["coverage"]),
                            (assessed < dib["inclusion_band"] * standard)
                            & (rng.random(n) < dib["inclusion_error"]))
        gap = np.where(eligible, np.maximum(standard - np.where(eligible, assessed, 0.0), dib["fixed_amount"]),
                       dib["fixed_amount"])
        dibao = np.where(enrolled, gap * size, 0.0)
        h["on_dibao"] = enrolled

        # Disasters.
        loss_village = loss_v[h["village"]]
        affected = (loss_village > 0) & (rng.random(n) < drought["affected_share"])
        loss = np.minimum(loss_village * np.exp(spread * rng.standard_normal(n) - spread ** 2 / 2), 1.0)
        keep_farm = np.where(affected, 1 - loss, 1.0)
        keep_livestock = np.where(affected, 1 - drought["livestock_loss"], 1.0)

        # Income.
        h["u"] = income_shocks["rho"] * h["u"] + income_shocks["persistent_sd"] * rng.standard_normal(n)
        transitory = income_shocks["transitory_sd"] * rng.standard_normal(n)
        multiplier = np.exp(h["alpha"] + h["u"] + transitory - variance_correction)
        per_mu = h["irrigated"] * inc["farm_net_per_mu_irrigated"] \
            + (1 - h["irrigated"]) * inc["farm_net_per_mu_dry"]
        potential_farm = h["land"] * per_mu * g * multiplier
        farm = potential_farm * keep_farm
        potential_assets = h["assets"] * inc["asset_return"] * g * multiplier
        asset_income = potential_assets * keep_livestock
        disaster_loss = potential_farm - farm + potential_assets - asset_income
        h["assets"] = h["assets"] * keep_livestock
        working = np.maximum(h["labour"] - labour_lost, 0)
        held = np.minimum(h["jobs"], working)
        kept = rng.binomial(held, 1 - sep)
        employed = kept + rng.binomial(working - held, find)
        h["jobs"] = employed
        wage = employed * inc["wage_mean"] * g * np.exp(ws * rng.standard_normal(n) - ws ** 2 / 2) * multiplier
        other = inc["other_transfers_per_capita"] * size * g
        gross = farm + wage + asset_income + dibao + other
        # Monitoring, on the register's income (before medical spending): under tau
        # with a risk of return, or a large shock; a monitored household stays at risk
        # while under tau.
        x = gross / size
        loss = out_of_pocket + disaster_loss
        shock = loss > mon["shock_threshold"] * g
        risk = shock | (x < z) | (is_ill & labour_lost) | (kept < held) \
            | (loss > mon["risk_loss_share"] * np.maximum(gross, 0)) \
            | (x < (1 - mon["risk_income_fall"]) * h["prev_register"])
        below_tau = x < tau
        if mon["identify_on_risk"]:
            at_risk = shock | (below_tau & (h["monitored"] | risk))
        else:
            at_risk = shock | below_tau
        detected = mon["enabled"] & at_risk & (h["monitored"] | (rng.random(n) < detection))
        reach = np.where(detected & ~h["monitored"], 1 - lag, 1.0)
        topup = mon["topup_share"] * np.maximum(tau - x, 0) * size * reach
        job = np.where(mon["public_jobs"] & (working > employed), mon["public_job_wage"] * g, 0.0)
        medical = mon["medical_assistance_share"] * out_of_pocket * reach
        claim_cost = np.where(detected, topup + job + medical, 0.0)

        # The budget sizes every package in one share; every detected household is served.
        claimed = claim_cost.sum()
        share = 1.0 if claimed <= budget else min(max(budget / claimed, 0.0), 1.0)
        topup_paid = np.where(detected, topup * share, 0.0)
        extra = topup_paid + np.where(detected, job * share, 0.0)
        relief = np.where(detected, np.minimum(medical * share, out_of_pocket), 0.0)
        y = (gross + extra - (out_of_pocket - relief)) / size
        poor = y < z

        at_risk_lifted = h["registered"] & ~h["poor_prev"]
        returns = at_risk_lifted & poor
        if t >= 0:
            rates.append(returns.sum() / max(at_risk_lifted.sum(), 1))

        # Entry and exit: risk eliminated on a stable own income above tau, no new
        # risk, and labour capacity.
        if mon["enabled"]:
            h["monitored"] |= detected
            stable = h["monitored"] & (x >= tau) & (y >= tau) & ~risk
            if mon["exit_when_risk_passes"]:
                stable = h["monitored"] & ~risk & (y >= z)
            h["years_above"] = np.where(stable, h["years_above"] + 1, 0)
            can_leave = mon["exit_without_labour"] | (h["labour"] > 0)
            leave = stable & (h["years_above"] >= mon["exit_years"]) & can_leave
            h["monitored"] &= ~leave
            h["years_above"] = np.where(leave, 0, h["years_above"])
        else:
            h["monitored"][:] = False

        # The register's year-end review: verified poor unless monitoring still has
        # time to rescue the household; newly poor households are registered or made
        # monitoring objects.
        h["below_years"] = np.where(poor, h["below_years"] + 1, 0)
        was_verified = h["verified_poor"]
        rescue = h["monitored"] & (h["below_years"] < reg["rescue_years"])
        verified = ~was_verified & poor & ~rescue
        h["verified_poor"] = np.where(was_verified, poor, verified)
        newly = verified & ~h["registered"]
        if reg["newly_poor"] == "register":
            h["registered"] |= newly
        elif mon["enabled"]:
            h["monitored"] |= newly
        h["prev_register"] = x

        h["poor_prev"] = poor
        # Next year's assessment: this year's income, smoothed with the last assessment.
        income = np.maximum(y - (dibao + topup_paid) / size, -1e9)
        smoothing = dib["assessment_smoothing"]
        first = np.isinf(h["assessed"])
        previous = np.where(first, 0.0, h["assessed"])
        h["assessed"] = np.where(first, income, (1.0 - smoothing) * income + smoothing * previous)
    return rates


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", help="a resolved scenario: povsim validate benches/reference/core.toml")
    ap.add_argument("--households", type=int)
    ap.add_argument("--replications", type=int)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    with open(a.scenario, "rb") as f:
        text = f.read().decode()
    # `povsim validate` prints a comment line before the TOML.
    p = tomllib.loads(text)
    sim = p["simulation"]
    n = a.households or sim["households"]
    reps = a.replications or sim["replications"]
    rng = np.random.default_rng(a.seed)
    started = time.perf_counter()
    per_rep = [float(np.mean(replication(p, n, rng))) for _ in range(reps)]
    seconds = time.perf_counter() - started
    hy = n * (sim["years"] + sim["burn_in_years"]) * reps
    print(json.dumps({
        "program": "numpy_reference", "numpy": np.__version__, "households": n,
        "replications": reps, "return_rate": float(np.mean(per_rep)),
        "return_rate_sd": float(np.std(per_rep, ddof=1)) if reps > 1 else None,
        "return_rates": per_rep, "seconds": seconds, "household_years_per_second": hy / seconds,
    }))


if __name__ == "__main__":
    sys.exit(main())
