import Foundation

/// The interval estimates and tests the reports use, with their textbook definitions:
/// - Wilson score interval for a proportion (Wilson 1927; Agresti & Coull 1998);
/// - exact (Garwood 1936) interval for a Poisson count, from chi-square quantiles;
/// - the conditional test of two Poisson rates (given the total, the first count is binomial with
///   p = e1 / (e1 + e2) under equal rates), exact two-sided p-value;
/// - Fisher's exact test, one-sided: the hypergeometric upper tail (correlations).
public enum Statistics {
  /// The 97.5% standard normal quantile: 95% two-sided intervals.
  public static let z95 = 1.959_963_984_540_054

  /// Wilson score interval for `successes` out of `trials`.
  public static func wilson(_ successes: Int, _ trials: Int, z: Double = z95) -> (
    low: Double, high: Double
  ) {
    guard trials > 0 else { return (0, 1) }
    let n = Double(trials)
    let p = Double(successes) / n
    let z2 = z * z
    let center = (p + z2 / (2 * n)) / (1 + z2 / n)
    let half = z * ((p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()) / (1 + z2 / n)
    return (max(0, center - half), min(1, center + half))
  }

  /// Exact 95% interval for the mean of a Poisson variable observed as `count`.
  public static func poisson(_ count: Int) -> (low: Double, high: Double) {
    let k = Double(count)
    let low = count == 0 ? 0 : chiSquareQuantile(0.025, degrees: 2 * k) / 2
    let high = chiSquareQuantile(0.975, degrees: 2 * k + 2) / 2
    return (low, high)
  }

  /// Two-sided exact p-value that counts `a` and `b` observed over exposures `ea` and `eb` come
  /// from the same rate.
  public static func rateRatioPValue(_ a: Int, _ ea: Double, _ b: Int, _ eb: Double) -> Double {
    let n = a + b
    guard n > 0, ea > 0, eb > 0 else { return 1 }
    let p = ea / (ea + eb)
    let observed = binomialPMF(a, n, p)
    var total = 0.0
    for k in 0...n {
      let mass = binomialPMF(k, n, p)
      // Sum every outcome at most as likely as the observed one (with a relative tolerance).
      if mass <= observed * (1 + 1e-7) { total += mass }
    }
    return min(1, total)
  }

  static func binomialPMF(_ k: Int, _ n: Int, _ p: Double) -> Double {
    if p <= 0 { return k == 0 ? 1 : 0 }
    if p >= 1 { return k == n ? 1 : 0 }
    let logChoose = lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    return exp(logChoose + Double(k) * log(p) + Double(n - k) * log(1 - p))
  }

  /// The chi-square quantile by bisection on the regularized lower incomplete gamma function.
  static func chiSquareQuantile(_ probability: Double, degrees: Double) -> Double {
    var low = 0.0
    var high = max(1, degrees) * 10 + 100
    for _ in 0..<200 {
      let middle = (low + high) / 2
      if regularizedGammaP(degrees / 2, middle / 2) < probability {
        low = middle
      } else {
        high = middle
      }
    }
    return (low + high) / 2
  }

  /// P(a, x): the series for x < a + 1, the continued fraction otherwise (Numerical Recipes §6.2).
  static func regularizedGammaP(_ a: Double, _ x: Double) -> Double {
    guard x > 0 else { return 0 }
    let logPrefix = a * log(x) - x - lgamma(a)
    if x < a + 1 {
      var term = 1 / a
      var sum = term
      var n = a
      for _ in 0..<10_000 {
        n += 1
        term *= x / n
        sum += term
        if abs(term) < abs(sum) * 1e-15 { break }
      }
      return sum * exp(logPrefix)
    }
    // Lentz's method for the continued fraction of Q(a, x).
    let tiny = 1e-300
    var b = x + 1 - a
    var c = 1 / tiny
    var d = 1 / b
    var h = d
    for i in 1..<10_000 {
      let an = -Double(i) * (Double(i) - a)
      b += 2
      d = an * d + b
      if abs(d) < tiny { d = tiny }
      c = b + an / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      let delta = d * c
      h *= delta
      if abs(delta - 1) < 1e-15 { break }
    }
    return 1 - exp(logPrefix) * h
  }

  /// P(X ≥ `k`) for X hypergeometric: `draws` taken without replacement from `population` items
  /// of which `successes` are marked — Fisher's exact test, one-sided, of a 2×2 table whose first
  /// row is (k, draws − k). Terms are summed in log space (`lgamma`), from k upward, and the sum
  /// stops once the terms no longer change it: past the mode they only shrink.
  public static func hypergeometricUpperTail(
    _ k: Int, draws: Int, successes: Int, population: Int
  ) -> Double {
    let n = draws
    let big = successes
    let total = population
    guard total > 0, n >= 0, big >= 0, n <= total, big <= total else { return 1 }
    let low = max(0, n - (total - big))
    let high = min(n, big)
    guard k <= high else { return 0 }
    if k <= low { return 1 }
    func logChoose(_ a: Int, _ b: Int) -> Double {
      lgamma(Double(a) + 1) - lgamma(Double(b) + 1) - lgamma(Double(a - b) + 1)
    }
    let denominator = logChoose(total, n)
    var sum = 0.0
    for x in k...high {
      let term = exp(logChoose(big, x) + logChoose(total - big, n - x) - denominator)
      sum += term
      if term < sum * 1e-17 && Double(x) > Double(n) * Double(big) / Double(total) { break }
    }
    return min(1, sum)
  }
}
