import Foundation

/// The forge scenarios shipped in samples/scenarios, by name.
public enum SampleScenarios {
  public static let names: [String] = {
    let folder = "\(Corpus.packageRoot)/samples/scenarios"
    let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
  }()
}
