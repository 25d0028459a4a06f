"""Residence-time distributions (product lifetimes, hoarding delays) behind one interface.

Every distribution is described by its integrated CDF H(a) = integral_0^a F(x) dx, in closed form.
H gives exact expected outflows for units placed uniformly over a window of width w: the share
of them that has left by time a after the window opened is (H(a) - H(a - w)) / w.
Lifetimes below zero (possible for the normal distribution) are counted as leaving at age zero.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import special

DISTRIBUTIONS = ("weibull", "normal", "lognormal", "fixed")


@dataclass(frozen=True)
class Lifetime:
    """A residence-time distribution in years.

    distribution : one of DISTRIBUTIONS
    mean : mean [yr] (normal, lognormal, fixed; derived for weibull)
    std : standard deviation [yr] (normal, lognormal)
    shape : Weibull shape k [-]
    scale : Weibull scale lambda [yr]
    """

    distribution: str
    mean: float = 0.0
    std: float = 0.0
    shape: float = 0.0
    scale: float = 0.0

    @property
    def expected_value(self) -> float:
        """Mean residence time [yr], the normal distribution taken as censored at zero."""
        if self.distribution == "weibull":
            return self.scale * math.gamma(1.0 + 1.0 / self.shape)
        if self.distribution == "normal":
            z = self.mean / self.std
            return self.mean * special.ndtr(z) + self.std * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return self.mean

    def cdf(self, a):
        """Share of units that have left by age a [yr]."""
        a = np.asarray(a, dtype=float)
        pos = np.maximum(a, 0.0)
        if self.distribution == "fixed":
            out = (a >= self.mean).astype(float)
        elif self.distribution == "weibull":
            out = -np.expm1(-((pos / self.scale) ** self.shape))
        elif self.distribution == "normal":
            out = special.ndtr((pos - self.mean) / self.std)
        else:
            mu, sigma = self._log_params()
            with np.errstate(divide="ignore"):
                out = np.where(pos > 0, special.ndtr((np.log(pos) - mu) / sigma), 0.0)
        return np.where(a < 0, 0.0, out)

    def integrated_cdf(self, a):
        """H(a) = integral_0^a F(x) dx [yr], zero for a <= 0."""
        a = np.asarray(a, dtype=float)
        pos = np.maximum(a, 0.0)
        if self.distribution == "fixed":
            out = np.maximum(pos - self.mean, 0.0)
        elif self.distribution == "weibull":
            # integral of the survival function is (lambda/k) * lower_gamma(1/k, (a/lambda)^k)
            k, lam = self.shape, self.scale
            survived = lam * math.gamma(1.0 / k) / k * special.gammainc(1.0 / k, (pos / lam) ** k)
            out = pos - survived
        elif self.distribution == "normal":
            m, s = self.mean, self.std

            def antiderivative(x):
                z = (x - m) / s
                return (x - m) * special.ndtr(z) + s * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

            # F(x) = Phi((x - m) / s) for x > 0 already holds the share below zero (left at age 0)
            out = antiderivative(pos) - antiderivative(0.0)
        else:
            mu, sigma = self._log_params()
            with np.errstate(divide="ignore"):
                logs = np.log(np.where(pos > 0, pos, 1.0))
                partial_mean = self.mean * special.ndtr((logs - mu - sigma**2) / sigma)
                out = np.where(pos > 0, pos * self.cdf(pos) - partial_mean, 0.0)
        return np.where(a <= 0, 0.0, out)

    def _log_params(self) -> tuple[float, float]:
        """mu and sigma of log(lifetime), from the lifetime's own mean and std."""
        sigma2 = math.log1p((self.std / self.mean) ** 2)
        return math.log(self.mean) - 0.5 * sigma2, math.sqrt(sigma2)


def window_departures(lifetime: Lifetime, window: float, step: float, n_steps: int) -> np.ndarray:
    """Cumulative share departed at the end of each step, for units placed uniformly in a window.

    Units enter uniformly over [0, window) and each stays for a time drawn from `lifetime`.
    Returns D with D[j] = share gone by time (j + 1) * step, j = 0 .. n_steps - 1 (exact).

    window : placement window [yr] (one year for annual cohorts, one step for monthly ones)
    step : length of a simulation step [yr]
    """
    t = step * np.arange(1, n_steps + 1)
    return (lifetime.integrated_cdf(t) - lifetime.integrated_cdf(t - window)) / window


#: hazards of the distributions seen last: the futures of an exploration share most lifetimes, and
#: a run needs a hazard per segment (the same computation, so the same numbers)
HAZARDS_KEPT = 256


@functools.lru_cache(maxsize=HAZARDS_KEPT)
def cohort_hazard(lifetime: Lifetime, window_steps: int, step: float, n_steps: int) -> np.ndarray:
    """Per-step departure probability of the units of a cohort still present, by cohort age.

    A cohort is placed uniformly over its first `window_steps` steps. At age j (steps since the
    cohort opened) the step's placements are added first, then each unit present departs with
    probability q[j]. Applied to expected values this reproduces window_departures exactly; used as
    a binomial probability it samples unit departures with the same mean. The array is read-only
    (kept for further calls with the same arguments).
    """
    departed = np.concatenate(([0.0], window_departures(lifetime, window_steps * step, step, n_steps)))
    placed = np.minimum(np.arange(1, n_steps + 1) / window_steps, 1.0)
    present = placed - departed[:-1]
    leaving = np.diff(departed)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(present > 1e-15, leaving / present, 1.0)
    q = np.clip(q, 0.0, 1.0)
    q.setflags(write=False)  # kept for the next caller: read-only
    return q
