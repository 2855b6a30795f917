import Foundation

/// ISO-8601 UTC timestamps, the only time format the database stores.
public enum Timestamp {
  /// The current time, e.g. `2026-11-26T12:24:36.123Z`.
  public static func now() -> String {
    Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
  }
}
