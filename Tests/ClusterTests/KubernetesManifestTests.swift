import CrashsiftTestSupport
import Foundation
import Pipeline
import Testing

/// deploy/k8s/ cannot be run here (no Kubernetes cluster): it is kept valid instead, against
/// Kubernetes' own OpenAPI schemas (kubernetes-validate in the test venv, strict), and its
/// ConfigMap's manifest and pipeline file must be files crashsift accepts.
@Suite("Kubernetes manifests")
struct KubernetesManifestTests {
  static var python: String? {
    let venv =
      ProcessInfo.processInfo.environment["CRASHSIFT_TEST_VENV"]
      ?? "\(NSHomeDirectory())/.cache/crashsift-test-venv"
    let python = "\(venv)/bin/python"
    return FileManager.default.fileExists(atPath: "\(venv)/bin/kubernetes-validate")
      ? python : nil
  }

  static let requirement = Requirement.capability("kubernetes-validate in the test venv") {
    python == nil
      ? "kubernetes-validate is missing from ~/.cache/crashsift-test-venv (or $CRASHSIFT_TEST_VENV); run scripts/install-deps.sh"
      : nil
  }

  @Test(
    "deploy/k8s validates against Kubernetes 1.30 (strict); its manifest and pipeline load",
    .requires(requirement))
  func valid() throws {
    try Self.requirement.resolve()
    let python = try #require(Self.python)
    let dir = TemporaryDirectory()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [
      "\(Corpus.packageRoot)/scripts/check-k8s.py", "\(Corpus.packageRoot)/deploy/k8s",
      dir.path, "1.30.0",
    ]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let problems = String(
      decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(problems)")
    let manifest = try Manifest.load(path: dir.file("manifest.json"))
    #expect(manifest.output == "/data/workspace")
    #expect(manifest.pipeline == "/etc/crashsift/pipeline.json")
    _ = try PipelineSettings.load(path: dir.file("pipeline.json"))
  }
}
