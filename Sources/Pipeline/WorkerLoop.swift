import CPosix
import Checkpoint
import Foundation
import Ingest

/// The body of a worker process (`crashsift worker`, started by `WorkerSupervisor`): reads a
/// setup and then batches of dumps from standard input, runs the batch's stages on each, and
/// writes one result per dump and stage to standard output, each written as soon as it is ready
/// so the parent always knows which dump and stage were in progress if this process dies.
///
/// The worker never writes the database (it opens it read-only for stages' `load`); the parent
/// is the single writer.
public enum WorkerLoop {
  /// Runs until the parent closes standard input; returns the process exit status.
  public static func run() -> Int32 {
    // The protocol owns the original standard output; anything else printed (a library's stray
    // `print`) goes to standard error instead of corrupting a frame.
    let output = dup(STDOUT_FILENO)
    guard output >= 0 else { return 70 }
    dup2(STDERR_FILENO, STDOUT_FILENO)
    // Gone with the parent: a killed run leaves no worker behind.
    _ = crashsift_die_with_parent()
    if getppid() == 1 { return 0 }
    var core = rlimit(rlim_cur: 0, rlim_max: 0)
    setrlimit(Int32(RLIMIT_CORE.rawValue), &core)
    _ = crashsift_no_core_dumps()

    var buffer = FrameBuffer()
    func send(_ reply: WireFormat.Reply) -> Bool {
      (try? FileDescriptorIO.writeAll(output, WireFormat.encode(reply))) != nil
    }
    let setup: WorkerSetup
    let stages: [any DumpStage]
    let database: CheckpointDatabase?
    let workspace: Workspace
    do {
      guard let frame = try FileDescriptorIO.readFrame(STDIN_FILENO, into: &buffer) else {
        return 0
      }
      guard case .setup(let received) = try WireFormat.decodeRequest(frame) else {
        _ = send(.fatal("the first message was not a setup"))
        return 65
      }
      setup = received
      if setup.memoryLimitBytes > 0 {
        let bytes = rlim_t(setup.memoryLimitBytes)
        var limit = rlimit(rlim_cur: bytes, rlim_max: bytes)
        setrlimit(Int32(RLIMIT_DATA.rawValue), &limit)
      }
      workspace = Workspace(directory: setup.workspace)
      stages = try setup.recipe.makeStages()
      database = try CheckpointDatabase(path: workspace.databasePath, readOnly: true)
    } catch {
      _ = send(.fatal("worker setup failed: \(error)"))
      return 65
    }
    guard send(.ready(pid: getpid())) else { return 0 }
    while true {
      let request: WireFormat.Request
      do {
        guard let frame = try FileDescriptorIO.readFrame(STDIN_FILENO, into: &buffer) else {
          return 0
        }
        request = try WireFormat.decodeRequest(frame)
      } catch {
        _ = send(.fatal("worker: \(error)"))
        return 65
      }
      guard case .batch(let index, let through, let items) = request,
        stages.indices.contains(index), stages.indices.contains(through), through >= index
      else {
        _ = send(.fatal("worker: unexpected message"))
        return 65
      }
      let chain = stages[index...through]
      for item in items {
        let path = "\(workspace.storeDirectory)/\(DumpStore.relativePath(sha256: item.dumpSHA256))"
        var delivered = true
        // Each stage's result goes out as soon as it is ready: if this process dies in a later
        // stage, the parent keeps the earlier ones and knows which stage was in progress.
        DumpStageRunner.process(item, chain: chain, path: path, database: database) {
          result, last in
          delivered = send(last ? .result(result) : .partial(result))
          return delivered
        }
        guard delivered else { return 0 }
      }
    }
  }
}
