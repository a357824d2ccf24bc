"""Special functions on float arrays with numpy only (no scipy): the normal CDF, erf, erfc,
erfinv, lgamma, digamma and polygamma. Kernels only; the differentiable ops that use them
live in ``elementwise``, and ``activation`` uses the normal CDF for the exact GELU.

Each kernel takes the array module ``xp`` and works for numpy and cupy alike. erfinv,
lgamma, digamma and polygamma compute in float64 and cast back to the input's dtype.
"""

from __future__ import annotations

import math

import numpy as np

_SQRT_HALF = math.sqrt(0.5)
_SQRT_2 = math.sqrt(2.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


# ----- the normal CDF without scipy ------------------------------------------------------------
# Phi(-a) = erfc(z) / 2 with z = a / sqrt(2) >= 0, and erfc(z) = exp(-z^2) * P(t) / (z + 3),
# t = (z - 3) / (z + 3) in [-1, 1). P is the Chebyshev expansion of erfcx(z) * (z + 3) in t
# (computed with mpmath at 50 digits), truncated where its terms fall below the dtype's
# precision and converted to monomials (well conditioned: sum |a_k| <= 3 while P >= 0.56).
# With exp(-a^2 / 2) evaluated from an exact split of a^2, Phi is accurate to a few ulp
# relative in float64 and float32 over the whole range, tails included.
_ERFC_K = 3.0
_ERFC_F64 = (
    1.0740069070883398,
    -0.8833944531698834,
    0.5902283571041024,
    -0.3104672619005832,
    0.11952776128726766,
    -0.026827234624051417,
    -0.001212416626845832,
    0.003034061996058138,
    -0.0005483096943765837,
    -0.00027677781402214095,
    0.00010756149572800276,
    3.039805158572681e-05,
    -1.7470579898367112e-05,
    -4.7490282761035755e-06,
    2.7653934843589293e-06,
    9.988170142910974e-07,
    -4.0795588546379703e-07,
    -2.3385368009140523e-07,
    4.605790019424851e-08,
    5.11824219701207e-08,
    -9.818356605591901e-10,
    -8.693774269035828e-09,
    -9.783136387840652e-10,
    8.110687296189993e-10,
    1.6421143016942986e-10,
)
_ERFC_F32 = (
    1.0740069072830063,
    -0.8833944451868795,
    0.5902283378006228,
    -0.3104674893110152,
    0.11952807506461957,
    -0.026825370112629254,
    -0.00121434170392917,
    0.003027424456584946,
    -0.0005426214440275764,
    -0.0002649834217254595,
    9.873707158612905e-05,
    1.9655910560487885e-05,
    -1.0302478671350565e-05,
)


def _exp_neg_half_square(xp, a):
    """``exp(-a^2 / 2)`` with ``a^2`` split exactly into hi + lo (Veltkamp): rounding a^2
    first would cost a^2 ulp of relative accuracy in the tails."""
    hi = a * (134217729.0 if a.dtype == np.float64 else 4097.0)
    hi -= hi - a
    lo = a - hi
    lo *= a + hi
    lo *= -0.5
    e = xp.exp(lo)
    hi *= hi
    hi *= -0.5
    e *= xp.exp(hi)
    return e


def _normal_cdf(xp, x):
    """``Phi(x)``, the standard normal CDF, for float arrays (float16 computes in float32)."""
    dtype = x.dtype
    if dtype != np.float64 and dtype != np.float32:
        x = x.astype(np.float32)
    coefs = _ERFC_F64 if x.dtype == np.float64 else _ERFC_F32
    # Beyond |x| = 40 sqrt(2), Phi(-|x|) underflows; the clamp keeps t finite for infinities.
    a = xp.minimum(xp.abs(x), 56.0)
    z = a * _SQRT_HALF
    t = z - _ERFC_K
    z += _ERFC_K
    t /= z
    p = xp.full_like(t, coefs[-1])
    for c in coefs[-2::-1]:
        p *= t
        p += c
    p *= 0.5
    p /= z
    p *= _exp_neg_half_square(xp, a)  # p = Phi(-|x|)
    return xp.where(x < 0, p, 1 - p).astype(dtype, copy=False)


# ----- erf, erfc, erfinv -----------------------------------------------------------------------
# erf(x) = 1 - 2 Phi(-|x| sqrt 2) loses relative accuracy as x -> 0, where erf ~ x: there the
# Maclaurin series (|x| < 0.5, 18 terms reach float64 precision) takes over.
_ERF_SERIES = tuple(
    _TWO_OVER_SQRT_PI * (-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(18)
)


def _float64(x):
    return x.astype(np.float64, copy=False)


def erf(xp, x):
    dtype, x = x.dtype, _float64(x)
    x2 = x * x
    s = xp.full_like(x, _ERF_SERIES[-1])
    for c in _ERF_SERIES[-2::-1]:
        s = s * x2 + c
    tail = 1 - 2 * _normal_cdf(xp, -xp.abs(x) * _SQRT_2)
    return xp.where(xp.abs(x) < 0.5, x * s, xp.copysign(tail, x)).astype(dtype, copy=False)


def erfc(xp, x):
    dtype = x.dtype
    return (2 * _normal_cdf(xp, _float64(x) * -_SQRT_2)).astype(dtype, copy=False)


# Giles' single-precision erfinv ("Approximating the erfinv function", GPU Computing Gems,
# 2011): a relative error ~1e-7 start for Newton's method in the variable w = -log(1 - x^2).
_GILES_CENTRAL = (
    2.81022636e-08,
    3.43273939e-07,
    -3.5233877e-06,
    -4.39150654e-06,
    0.00021858087,
    -0.00125372503,
    -0.00417768164,
    0.246640727,
    1.50140941,
)
_GILES_TAIL = (
    -0.000200214257,
    0.000100950558,
    0.00134934322,
    -0.00367342844,
    0.00573950773,
    -0.0076224613,
    0.00943887047,
    1.00167406,
    2.83297682,
)


def _horner(coefs, t):
    p = coefs[0]
    for c in coefs[1:]:
        p = p * t + c
    return p


def erfinv(xp, x):
    """Newton steps on erf (|x| <= 0.5) or on log erfc against log(1 - |x|) (1 - |x| is
    exact there), so the tails keep their relative accuracy."""
    dtype, x = x.dtype, _float64(x)
    a = xp.abs(x)
    inside = a < 1
    w = -xp.log(xp.where(inside, (1 - a) * (1 + a), 1.0))
    y = a * xp.where(w < 5, _horner(_GILES_CENTRAL, w - 2.5), _horner(_GILES_TAIL, xp.sqrt(w) - 3))
    central = a <= 0.5
    log_c = xp.log(xp.where(central | ~inside, 1.0, 1 - a))
    for _ in range(4):
        density = _TWO_OVER_SQRT_PI * xp.exp(-y * y)
        c = erfc(xp, y)
        # In the tail, Newton on log erfc(y) = log(1 - |x|): nearly linear, so it converges
        # from Giles' start even where 1 - |x| is far below float32's range.
        tail = (xp.log(c) - log_c) * c
        y = y + xp.where(central, a - erf(xp, y), tail) / density
    y = xp.where(inside, y, xp.where(a == 1, math.inf, math.nan))
    return xp.copysign(y, x).astype(dtype, copy=False)


# ----- lgamma, digamma, polygamma --------------------------------------------------------------
# Lanczos (g = 7, n = 9) is good to ~1e-15 absolute in lgamma; near its zeros at 1 and 2 that
# is poor relative accuracy, so there the Taylor series lgamma(1 + z) = -gamma z +
# sum_k (-1)^k zeta(k) / k z^k (|z| <= 1/4, 30 terms) takes over.
_LANCZOS_G = 7.0
_LANCZOS = (
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
)
_EULER_GAMMA = 0.5772156649015329
_ZETA = (  # zeta(2) ... zeta(31)
    1.6449340668482264,
    1.2020569031595942,
    1.0823232337111381,
    1.03692775514337,
    1.0173430619844492,
    1.008349277381923,
    1.0040773561979444,
    1.0020083928260821,
    1.000994575127818,
    1.0004941886041194,
    1.000246086553308,
    1.0001227133475785,
    1.0000612481350588,
    1.000030588236307,
    1.0000152822594086,
    1.0000076371976379,
    1.000003817293265,
    1.0000019082127165,
    1.0000009539620338,
    1.0000004769329869,
    1.0000002384505027,
    1.000000119219926,
    1.000000059608189,
    1.0000000298035034,
    1.0000000149015549,
    1.0000000074507118,
    1.000000003725334,
    1.0000000018626598,
    1.0000000009313275,
    1.0000000004656628,
)
_LGAMMA1_SERIES = (0.0, -_EULER_GAMMA, *((-1) ** k * z / k for k, z in enumerate(_ZETA, start=2)))
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _lgamma_lanczos(xp, x):
    """lgamma for x >= 0.5."""
    z = x - 1
    s = xp.full_like(z, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], start=1):
        s = s + c / (z + i)
    t = z + (_LANCZOS_G + 0.5)
    return _HALF_LOG_2PI + (z + 0.5) * xp.log(t) - t + xp.log(s)


def _lgamma1p_series(xp, z):
    """lgamma(1 + z) for |z| <= 1/4."""
    return _horner(_LGAMMA1_SERIES[::-1], z)


def _sinpi_abs(xp, x):
    """|sin(pi x)|, reduced to the nearest integer first so it is exact at the poles."""
    return xp.abs(xp.sin(math.pi * (x - xp.round(x))))


def lgamma(xp, x):
    dtype, x = x.dtype, _float64(x)
    big = xp.where(x >= 0.5, x, 1 - x)  # the reflection's partner is >= 0.5 too
    with np.errstate(all="ignore"):
        lg = _lgamma_lanczos(xp, big)
        near1, near2 = xp.abs(big - 1) <= 0.25, xp.abs(big - 2) <= 0.25
        lg = xp.where(near1, _lgamma1p_series(xp, big - 1), lg)
        lg = xp.where(near2, xp.log(big - 1) + _lgamma1p_series(xp, big - 2), lg)
        reflected = math.log(math.pi) - xp.log(_sinpi_abs(xp, x)) - lg
        out = xp.where(x >= 0.5, lg, reflected)
        out = xp.where(xp.isinf(x), math.inf, out)  # lgamma(+-inf) = inf, as in C
    return out.astype(dtype, copy=False)


# Bernoulli numbers B_2 ... B_14, for the asymptotic series of digamma and Hurwitz zeta.
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
_ASYMPTOTIC_FROM = 10.0


def _shifted(xp, x, term):
    """``(y, sum of term(x + k) for k < n)`` with ``y = x + n >= 10``, per element."""
    y, acc = x, xp.zeros_like(x)
    while True:
        low = y < _ASYMPTOTIC_FROM
        if not bool(low.any()):
            return y, acc
        acc = acc + xp.where(low, term(xp.where(low, y, 1.0)), 0.0)
        y = xp.where(low, y + 1, y)


def _digamma_positive(xp, x):
    y, acc = _shifted(xp, x, lambda v: 1 / v)
    inv2 = 1 / (y * y)
    series = _horner([b / (2 * k) for k, b in enumerate(_BERNOULLI, start=1)][::-1], inv2)
    return xp.log(y) - 0.5 / y - inv2 * series - acc


def digamma(xp, x):
    """Recurrence up to x >= 10, then the asymptotic series; reflection for x < 0.5.
    Like PyTorch: -inf at +0, +inf at -0, nan at negative integers."""
    dtype, x = x.dtype, _float64(x)
    with np.errstate(all="ignore"):
        positive = x >= 0.5
        big = xp.where(positive, x, 1 - x)
        d = _digamma_positive(xp, xp.where(xp.isfinite(big), big, 1.0))
        f = x - xp.round(x)
        reflected = d - math.pi / xp.tan(math.pi * f)
        out = xp.where(positive, d, reflected)
        out = xp.where((x <= 0) & (f == 0), math.nan, out)
        out = xp.where(x == 0, -1 / x, out)
        out = xp.where(x == math.inf, math.inf, xp.where(x == -math.inf, math.nan, out))
        out = xp.where(xp.isnan(x), math.nan, out)
    return out.astype(dtype, copy=False)


def polygamma(xp, n: int, x):
    """The n-th derivative of digamma (n >= 1): (-1)^(n+1) n! zeta(n + 1, x), the Hurwitz
    zeta summed directly up to x + k >= 10 and by Euler-Maclaurin beyond."""
    dtype, x = x.dtype, _float64(x)
    s = n + 1
    with np.errstate(all="ignore"):
        finite = xp.isfinite(x) & ~((x <= 0) & (x == xp.round(x)))
        y, acc = _shifted(xp, xp.where(finite, x, 1.0), lambda v: v**-s)
        tail = y ** (1 - s) / (s - 1) + 0.5 * y**-s
        rising = float(s)  # s (s+1) ... (s+2j-2)
        for j, b in enumerate(_BERNOULLI, start=1):
            tail = tail + b / math.factorial(2 * j) * rising * y ** (-s - 2 * j + 1)
            rising *= (s + 2 * j - 1) * (s + 2 * j)
        out = (-1) ** (n + 1) * math.factorial(n) * (acc + tail)
        out = xp.where(finite, out, xp.where(x == math.inf, 0.0, math.nan))
    return out.astype(dtype, copy=False)
