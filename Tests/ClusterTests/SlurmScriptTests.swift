import Cluster
import CrashsiftTestSupport
import Foundation
import Testing

/// `slurm submit --dry-run` and the settings it refuses, without a cluster.
@Suite("Slurm job scripts")
struct SlurmScriptTests {
  @Test(
    "--dry-run prints the plan, shard and merge scripts and the sbatch commands; arrays split at MaxArraySize"
  )
  func dryRun() throws {
    let night = try ShardMergeTests.Night(count: 20)
    let result = try ShardMergeTests.check([
      "slurm", "submit", "--shards", "5", "--manifest", night.manifest, "--workspace",
      night.dir.file("out"), "--dir", night.dir.file("jobs"), "--max-array-size", "2",
      "--max-parallel", "1", "--partition", "batch", "--time", "01:00:00", "--mem", "4G",
      "--merge-node", "node7", "--store-shared", "--dry-run",
    ])
    let text = result.stdout
    for name in ["plan.sbatch", "shard.sbatch", "merge.sbatch"] {
      #expect(text.contains("# \(night.dir.file("jobs"))/\(name)"))
    }
    #expect(text.contains("#SBATCH --partition=batch") && text.contains("#SBATCH --time=01:00:00"))
    #expect(text.contains("#SBATCH --mem=4G") && text.contains("#SBATCH --nodelist=node7"))
    #expect(text.contains("'--store' '\(night.dir.file("out"))/dumps'"))
    // Five shards in arrays of two: offsets 0, 2, 4; each array waits for the plan job.
    for offset in [0, 2, 4] {
      #expect(text.contains("CRASHSIFT_SHARD_OFFSET=\(offset)"), "offset \(offset)")
    }
    #expect(text.contains("--array=0-1%1") && text.contains("--array=0-0%1"))
    #expect(text.components(separatedBy: "--kill-on-invalid-dep=yes").count == 5)
    // Nothing was written or submitted.
    #expect(!FileManager.default.fileExists(atPath: night.dir.file("jobs/submission.json")))
  }

  @Test("settings the job scripts cannot carry are refused with the reason")
  func refused() throws {
    let night = try ShardMergeTests.Night(count: 20)
    for (arguments, reason) in [
      (["--shards", "0"], "--shards must be between 1 and 10000"),
      (["--shards", "2", "--dir", night.dir.file("my jobs")], "no spaces, quotes or %"),
      (["--shards", "2", "--time", "1 day"], "no spaces, quotes or %"),
    ] {
      let result = try CrashsiftBinary.run(
        ["slurm", "submit", "--manifest", night.manifest, "--dry-run"] + arguments)
      #expect(
        result.status != 0 && result.stderr.contains(reason), "\(arguments): \(result.stderr)")
    }
  }
}
