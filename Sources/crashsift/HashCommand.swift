import Analysis
import ArgumentParser

/// `crashsift hash BUCKET_ID…`: WinDbg's FAILURE_ID_HASH of bucket strings.
struct HashCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hash",
    abstract: "Print the FAILURE_ID_HASH of FAILURE_BUCKET_ID strings.",
    discussion: """
      MD5 of the lower-cased "km:" (or "um:" with --user) + bucket in UTF-16LE, as a GUID: the \
      hash WinDbg prints and Windows Error Reporting and Partner Center show, so buckets can be \
      matched against them.

      Examples:
        crashsift hash AV_myfault!unknown_function
        crashsift hash --user 'NULL_POINTER_WRITE_c0000005_app.exe!Crash'
      """)

  @Argument(help: "FAILURE_BUCKET_ID strings.")
  var buckets: [String]

  @Flag(name: .long, help: "User-mode buckets (um: instead of km:).")
  var user = false

  func run() throws {
    for bucket in buckets {
      print("\(FailureIDHash.of(bucket, kernelMode: !user))\t\(bucket)")
    }
  }
}
