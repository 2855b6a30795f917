import Analysis
import Foundation
import Testing

/// Culprits a bug check names by a parameter rather than by its stack: 0x116/0x117 (the module the
/// TDR recovery context points into, WinDbg's `0x116_IMAGE_<driver>`), and the faulting address
/// when the stack offers nothing but frames of last resort.
@Suite("culprits named by bug-check parameters")
struct ParameterCulpritTests {
  static let tdrStack = [
    Bucketer.Frame(
      image: "ntoskrnl.exe", moduleOffset: 0x3F5A10, function: "KeBugCheckEx", functionOffset: 0,
      trust: "context"),
    Bucketer.Frame(
      image: "dxgkrnl.sys", moduleOffset: 0x2C1101, function: "TdrBugcheckOnTimeout",
      functionOffset: 0x101, trust: "cfi"),
    Bucketer.Frame(
      image: "dxgkrnl.sys", moduleOffset: 0x2C2222, function: "ADAPTER_RENDER::Reset",
      functionOffset: 0x12D, trust: "cfi"),
  ]

  @Test("0x116: the GPU driver Arg2 points into is the bucket, in WinDbg's IMAGE form")
  func videoTDR() {
    let crash = Bucketer.Crash.kernel(
      code: 0x116,
      parameters: [0xFFFF_A001_0000_1000, 0xFFFF_F806_3A25_8210, 0xFFFF_FFFF_C000_009A, 4])
    let culprit = Bucketer.Frame(
      image: "nvlddmkm.sys", moduleOffset: 0x1958210, function: nil, functionOffset: nil,
      trust: "bugcheck-parameter")
    let bucket = Bucketer.bucket(
      crash, frames: Self.tdrStack, rules: .defaults, parameterFrames: [nil, culprit, nil, nil])
    #expect(bucket.failureBucketID == "0x116_IMAGE_nvlddmkm.sys")
    #expect(bucket.symbolName == "nvlddmkm+1958210")
    #expect(bucket.moduleName == "nvlddmkm")
    #expect(bucket.followupFrame == nil)
    #expect(bucket.text.contains("the bug check's parameter names the culprit"))
    // Unknown module for Arg2 (a text log, or a driver the dump does not list): the stack decides,
    // past the TDR plumbing.
    let fromStack = Bucketer.bucket(crash, frames: Self.tdrStack, rules: .defaults)
    #expect(fromStack.failureBucketID == "0x116_dxgkrnl!ADAPTER_RENDER::Reset")
  }

  @Test("a garbage stack: the module holding the faulting address is blamed, not nt+0x…")
  func faultingAddress() {
    let crash = Bucketer.Crash.kernel(
      code: 0xD1, parameters: [0x1000028, 2, 0, 0xFFFF_F880_00C8_D715])
    let frames = [
      Bucketer.Frame(
        image: "ntoskrnl.exe", moduleOffset: 0x70E00, function: nil, functionOffset: nil,
        trust: "context"),
      Bucketer.Frame(
        image: "ntoskrnl.exe", moduleOffset: 0x703A9, function: nil, functionOffset: nil,
        trust: "scan"),
      Bucketer.Frame(
        image: nil, moduleOffset: nil, function: nil, functionOffset: nil, trust: "scan"),
    ]
    let faulting = Bucketer.Frame(
      image: "adgnetworktdidrv.sys", moduleOffset: 0x5715, function: nil, functionOffset: nil,
      trust: "faulting-ip")
    let bucket = Bucketer.bucket(crash, frames: frames, rules: .defaults, faultingFrame: faulting)
    #expect(bucket.failureBucketID == "AV_adgnetworktdidrv!unknown_function")
    #expect(bucket.symbolName == "adgnetworktdidrv+5715")
    // Without it, the kernel frame is the last resort.
    let alone = Bucketer.bucket(crash, frames: frames, rules: .defaults)
    #expect(alone.failureBucketID == "AV_nt!unknown_function")
  }

  @Test("rules naming a culprit parameter outside 1–4 or an unknown bucket form are refused")
  func validation() {
    for rule in [
      #"{"bugcheck": "0x116", "culprit_parameter": 5, "prefix": "X"}"#,
      #"{"bugcheck": "0x116", "culprit_parameter": 2, "bucket_form": "module", "prefix": "X"}"#,
    ] {
      let text = #"{"version": 1, "kernel_prefixes": ["# + rule + "]}"
      #expect(throws: BucketRulesError.self) {
        try BucketRules(data: Data(text.utf8), name: "test.json")
      }
    }
  }
}
