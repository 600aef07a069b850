/// Reconnect delays: exponential from `initial` to `maximum`, each drawn
/// uniformly from its upper half ("equal jitter") so that devices cut off by
/// the same outage do not all come back at the same instant.
public struct Backoff: Sendable, Equatable {
  public var initial: Duration
  public var maximum: Duration
  public var multiplier: Double
  private(set) var attempt = 0

  public static var defaults: Backoff { Backoff(initial: .milliseconds(250), maximum: .seconds(30), multiplier: 2) }

  public init(initial: Duration, maximum: Duration, multiplier: Double) {
    self.initial = initial
    self.maximum = maximum
    self.multiplier = multiplier
  }

  /// The delay before the next attempt; `unit` is a uniform draw in [0, 1).
  public mutating func next(unit: Double = Double.random(in: 0 ..< 1)) -> Duration {
    let ceiling = min(self.initial * pow(self.multiplier, Double(self.attempt)), self.maximum)
    if ceiling < self.maximum { self.attempt += 1 }
    return ceiling / 2 + ceiling / 2 * unit
  }

  /// A connection held: the next failure starts from `initial` again.
  public mutating func reset() { self.attempt = 0 }

  private func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    for _ in 0 ..< Int(exponent) { result *= base }
    return result
  }
}
