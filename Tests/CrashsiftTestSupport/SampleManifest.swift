import Foundation

/// The embedded sample corpus's manifest, copied into a test's folder with a pipeline file of the
/// test's own: `samples` and the pipeline's `rules` are linked, `pipelines/nightly.json` is a
/// copy the test may change (and `pipelines/` may take more files, such as annotations).
public enum SampleManifest {
  /// Writes the manifest into `dir` and returns its path; `pipeline` edits the copied pipeline.
  public static func make(
    in dir: TemporaryDirectory, pipeline edit: (inout [String: Any]) -> Void = { _ in }
  ) throws -> String {
    let root = Corpus.packageRoot
    let files = FileManager.default
    try files.createSymbolicLink(
      atPath: dir.file("samples"), withDestinationPath: "\(root)/samples")
    try files.createDirectory(atPath: dir.file("pipelines"), withIntermediateDirectories: true)
    try files.createSymbolicLink(
      atPath: dir.file("pipelines/rules"), withDestinationPath: "\(root)/pipelines/rules")
    let data = try Data(contentsOf: URL(fileURLWithPath: "\(root)/pipelines/nightly.json"))
    guard var pipeline = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw Requirement.Missing(description: "pipelines/nightly.json is not a pipeline")
    }
    edit(&pipeline)
    try JSONSerialization.data(withJSONObject: pipeline, options: [.sortedKeys]).write(
      to: URL(fileURLWithPath: dir.file("pipelines/nightly.json")))
    let manifest = dir.file("manifest.json")
    try files.copyItem(atPath: "\(root)/corpus-manifest.json", toPath: manifest)
    return manifest
  }
}
