extension CrashBucket {
  /// The closing block of `!analyze -v`: the followup decision and the bucket fields, one
  /// `NAME: value` per line as WinDbg prints them.
  public var text: String {
    var lines: [String] = []
    if mode == "km" {
      lines.append("BUGCHECK_CODE:  \(code)" + (codeName.map { "  (\($0))" } ?? ""))
      let values = parameters.compactMap { UInt64($0.dropFirst(2), radix: 16) }
      if let number = UInt32(code.dropFirst(2), radix: 16) {
        lines += BugCheckArguments.lines(code: number, parameters: values).map { "  " + $0 }
      }
    } else {
      lines.append("EXCEPTION_CODE:  \(code)")
      if !parameters.isEmpty { lines.append("  parameters: " + parameters.joined(separator: " ")) }
    }
    if let processName { lines.append("PROCESS_NAME:  \(processName)") }
    if let faultContext {
      let address = String(faultContext.address, radix: 16)
      let padded = String(repeating: "0", count: max(0, 16 - address.count)) + address
      let shown = padded.prefix(8) + "`" + padded.suffix(8)
      let name = faultContext.kind == "trap" ? "TRAP_FRAME" : "CONTEXT"
      lines.append("\(name):  \(shown) -- (.\(faultContext.kind) 0x\(address))")
    }
    for skip in skipped {
      lines.append("  skipped frame \(skip.frame) \(skip.symbol): \(skip.reason)")
    }
    if let followupFrame {
      lines.append("FOLLOWUP_FRAME:  \(followupFrame)" + (trust.map { "  (found by \($0))" } ?? ""))
    } else if trust == "bugcheck-parameter" {
      lines.append("FOLLOWUP_FRAME:  none (the bug check's parameter names the culprit)")
    } else {
      lines.append("FOLLOWUP_FRAME:  none (no frame could be blamed)")
    }
    lines.append("SYMBOL_NAME:  \(symbolName)")
    lines.append("MODULE_NAME:  \(moduleName)")
    lines.append("IMAGE_NAME:  \(imageName)")
    if let imageTimestamp { lines.append("IMAGE_TIMESTAMP:  \(imageTimestamp)") }
    if let imageVersion { lines.append("IMAGE_VERSION:  \(imageVersion)") }
    lines.append("BUCKET_ID_FUNC_OFFSET:  \(functionOffset)")
    lines.append("FAILURE_BUCKET_ID:  \(failureBucketID)")
    lines.append("FAILURE_ID_HASH:  \(failureIDHash)")
    if let socorroSignature { lines.append("SOCORRO_SIGNATURE:  \(socorroSignature)") }
    lines.append(
      "RULES_VERSION:  \(rulesVersion)" + (symbolized ? "" : "  (blamed frame has no symbols)"))
    return lines.joined(separator: "\n")
  }
}
