import Foundation
import Testing

@testable import Reports

@Suite("alerts and annotations")
struct AlertTests {
  @Test("digest lines: a bucket id from a dump cannot close its code span or inject Markdown")
  func digestEscaping() {
    #expect(Alert.code("AV_x!f") == "` AV_x!f `")
    #expect(Alert.code("a`b``c") == "``` a`b``c ```")
    #expect(Alert.code("two\nlines") == "` two lines `")
    #expect(
      Alert.markdownText("see [x](javascript:y) *now*") == #"see \[x\](javascript:y) \*now\*"#)
    let alert = Alert(
      kind: .new, subject: "AV_`evil`!f", detail: "first seen last night: 1 crash", crashes: 1,
      link: "buckets/abc.html")
    #expect(
      Alert.digest([alert], night: "2026-11-22")
        == "# crashsift digest — 2026-11-22\n\n- **new** `` AV_`evil`!f ``: first seen last night: 1 crash ([open](buckets/abc.html))\n"
    )
    #expect(Alert.digest([], night: nil).contains("Nothing new, regressed or spiking."))
  }

  @Test("annotation keys: WinDbg's braces and case do not matter; anything else is refused")
  func keys() throws {
    #expect(
      Annotations.key("{233BE711-1E68-9500-6911-5F20D36FFCE5}")
        == "233be711-1e68-9500-6911-5f20d36ffce5")
    #expect(Annotations.isHash("233be711-1e68-9500-6911-5f20d36ffce5"))
    #expect(!Annotations.isHash("233be711-1e68-9500-6911-5f20d36ffce"))
    #expect(!Annotations.isHash("zzzzzzzz-1e68-9500-6911-5f20d36ffce5"))
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "annotations-\(UInt32.random(in: 0...UInt32.max)).json")
    defer { try? FileManager.default.removeItem(at: file) }
    try Data(
      #"{"version": 1, "buckets": {"{233BE711-1E68-9500-6911-5F20D36FFCE5}": {"bug": "B-1", "fixed_in": "b2", "ignore": "noise"}}}"#
        .utf8
    ).write(to: file)
    let annotations = try Annotations.load(path: file.path, builds: ["b1", "b2"])
    #expect(
      annotations.entry(hash: "233be711-1e68-9500-6911-5f20d36ffce5")
        == Annotations.Entry(bug: "B-1", fixedIn: "b2", ignore: "noise"))
    try Data(#"{"version": 2, "buckets": []}"#.utf8).write(to: file)
    #expect(throws: (any Error).self) { try Annotations.load(path: file.path, builds: []) }
  }
}
