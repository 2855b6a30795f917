import CPosix
import Checkpoint
import Foundation
import Ingest
import Logging

/// How to start a worker process: the `crashsift` executable and its hidden `worker` command.
public struct WorkerLaunch: Sendable, Equatable {
  /// The file to execute (`/proc/self/exe`: the running binary, even if replaced on disk).
  public var executable: String
  /// `argv[0]`, what `ps` shows.
  public var name: String
  public var arguments: [String]

  public init(executable: String, name: String? = nil, arguments: [String]) {
    self.executable = executable
    self.name = name ?? executable
    self.arguments = arguments
  }
}

/// Runs per-dump stage work in worker processes, so a dump that crashes, hangs or exhausts memory
/// in a reader takes down one worker and fails one dump, never the night.
///
/// Socorro runs its stack walker as a subprocess for the same reason. The supervisor keeps `count`
/// workers warm across chunks and stages (their symbol caches survive), keeps up to two batches
/// queued at each worker, and reads one result per dump as the worker finishes it. Because results
/// arrive in batch order, the dump a worker was on when it died is the first unanswered one: that
/// dump goes once more, first, to a fresh worker, and is failed with the signal, timeout or memory
/// reason if that worker dies too; the rest of the batch goes to a fresh worker. A watchdog on the
/// same loop kills a worker that spends longer than the per-dump limit on one dump or whose
/// anonymous resident memory passes the limit. Everything runs on the calling thread, which stays
/// the only SQLite writer; spawning from it also ties each worker's `PR_SET_PDEATHSIG` to the run.
final class WorkerSupervisor {
  /// A run stopped because workers cannot work at all (not one bad dump).
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  private struct Worker {
    var pid: pid_t
    /// The parent's end of the worker's standard input.
    var input: Int32
    /// The parent's end of the worker's standard output (non-blocking).
    var output: Int32
    /// The parent's end of the worker's standard error (non-blocking); its tail explains a death.
    var errors: Int32
    var errorTail: [UInt8] = []
    /// Cleared at the end of the worker's standard error, so a closed pipe is not polled again.
    var errorsOpen = true
    var buffer = FrameBuffer()
    /// Dumps sent and not answered yet, in order; the first is in progress.
    var inflight: ArraySlice<WorkItem> = []
    /// The stages each dump of the current batches goes through, first to last.
    var chain: [String] = []
    /// Results of the dump in progress from the stages already finished (the hand-off).
    var partials: [StageResult] = []
    /// The stage the dump in progress is in.
    var stageName: String { chain.isEmpty ? "" : chain[min(partials.count, chain.count - 1)] }
    /// When the dump in progress started (monotonic seconds).
    var startedAt = 0.0
    var memoryCheckedAt = 0.0
  }

  private let launch: WorkerLaunch
  private let setup: WorkerSetup
  private let limits: WorkerLimits
  private let count: Int
  private let logger: Logger
  private var workers: [Worker?]
  /// Worker deaths since the last result: past `deathLimit` the run stops, since the cause is
  /// the workers themselves (a broken executable, a machine out of memory), not the dumps.
  private var deathsInARow = 0
  private let deathLimit = 32
  /// Dumps (per stage) a worker already died on once: a second death on a fresh worker fails
  /// them. One death is not proof: the OOM killer, an administrator's kill or a paused machine
  /// overrunning the timeout can end a worker whatever its dump.
  private var struck: Set<String> = []
  /// Failures from deaths, delivered once a worker finishes a dump again: if the workers keep
  /// dying for a reason of their own, the run stops before these are recorded, and their claims
  /// are redone by the next run instead of staying failed.
  private var held: [(WorkItem, StageResult)] = []
  private var chunk = [UInt8](repeating: 0, count: 64 << 10)

  init(launch: WorkerLaunch, setup: WorkerSetup, limits: WorkerLimits, count: Int, logger: Logger) {
    self.launch = launch
    self.setup = setup
    self.limits = limits
    self.count = max(1, count)
    self.logger = logger
    workers = Array(repeating: nil, count: max(1, count))
    // A worker that died leaves a closed pipe; writing to it must be an error, not our death.
    signal(SIGPIPE, SIG_IGN)
  }

  deinit { shutdown() }

  /// Processes the dumps `next` hands out (until it hands out none) with the stages at `stage`
  /// through `through` (`stageNames`: theirs, in order); `consume` gets every dump's results, one
  /// per stage it went through (a failure for a dump whose worker died in its first stage), on the
  /// calling thread, in completion order. `next` is asked again while the workers still have
  /// work queued, so a chunk's end never leaves them idle.
  func process(
    stage: Int, through: Int, stageNames: [String], next: () throws -> [WorkItem],
    consume: (WorkItem, [StageResult]) throws -> Void
  ) throws {
    var pending: ArraySlice<WorkItem> = []
    var requeued: [WorkItem] = []
    var handedOut = 0
    var answered = 0
    var exhausted = false
    let batchSize = max(1, limits.batchSize)
    do {
      while !exhausted || answered < handedOut {
        // Enough queued for every worker's next batch: fetch (and claim) more. Not more than
        // that: what is claimed and not yet committed is what a killed run leaves to redo.
        while !exhausted, pending.count + requeued.count < batchSize * count {
          let more = try next()
          if more.isEmpty {
            exhausted = true
          } else {
            pending.append(contentsOf: more)
            handedOut += more.count
          }
        }
        // A worker gets its next batch while it still works on the current one, so it never
        // waits for the parent between batches; near the end batches shrink so that no worker
        // holds a long tail while another idles.
        for slot in 0..<count where (workers[slot]?.inflight.count ?? 0) < batchSize {
          let remaining = requeued.count + pending.count
          if remaining == 0 { break }
          let size =
            exhausted ? max(1, min(batchSize, (remaining + count - 1) / count)) : batchSize
          var batch: [WorkItem] = []
          while batch.count < size, let item = requeued.popLast() { batch.append(item) }
          while batch.count < size, let item = pending.popFirst() { batch.append(item) }
          if !(try send(batch, stage: stage, through: through, chain: stageNames, to: slot)) {
            requeued.append(contentsOf: batch.reversed())
          }
        }
        let deliver: (WorkItem, [StageResult]) throws -> Void = { item, result in
          answered += 1
          try consume(item, result)
        }
        if requeued.isEmpty && pending.isEmpty
          && workers.allSatisfy({ $0?.inflight.isEmpty ?? true })
        {
          if answered >= handedOut { continue }
          guard !held.isEmpty else {
            throw Failure(
              description: "\(handedOut - answered) dumps were neither sent nor answered")
          }
          try deliverHeld(deliver)
          continue
        }
        try wait(deliver: deliver) { rest in
          requeued.append(contentsOf: rest.reversed())
        }
      }
    } catch {
      // Results in flight belong to claims this run will not commit; the next run redoes them.
      terminateAll()
      throw error
    }
  }

  private func deliverHeld(_ deliver: (WorkItem, [StageResult]) throws -> Void) throws {
    let failures = held
    held.removeAll()
    for (item, result) in failures { try deliver(item, [result]) }
  }

  /// Closes every worker's input and reaps it.
  func shutdown() {
    for slot in workers.indices {
      guard let worker = workers[slot] else { continue }
      close(worker.input)
      close(worker.output)
      close(worker.errors)
      var status: Int32 = 0
      // Idle workers exit at end of input; one still busy is not waited for.
      if !worker.inflight.isEmpty { kill(worker.pid, SIGKILL) }
      while waitpid(worker.pid, &status, 0) < 0 && errno == EINTR {}
      workers[slot] = nil
    }
  }

  private func terminateAll() {
    for slot in workers.indices {
      if let worker = workers[slot] { kill(worker.pid, SIGKILL) }
    }
    shutdown()
  }

  // MARK: Dispatch

  /// Sends a batch to the worker in `slot` (started if needed). False when a busy worker's pipe
  /// is closed: it died, and the poll loop reports that death with the dump it was on; the
  /// caller keeps the batch for another worker.
  private func send(_ batch: [WorkItem], stage: Int, through: Int, chain: [String], to slot: Int)
    throws -> Bool
  {
    let message = try WireFormat.encode(.batch(stage: stage, through: through, items: batch))
    for attempt in 0..<2 {
      if workers[slot] == nil { workers[slot] = try spawn() }
      guard var worker = workers[slot] else { continue }
      do {
        try FileDescriptorIO.writeAll(worker.input, message)
      } catch {
        if !worker.inflight.isEmpty { return false }
        // It died while idle (nothing of ours in flight): replace it and send again.
        logger.warning("worker \(worker.pid) was gone before its next batch: \(reap(worker))")
        workers[slot] = nil
        if attempt == 1 { throw Failure(description: "could not hand work to a worker: \(error)") }
        continue
      }
      if worker.inflight.isEmpty {
        // The clock of the dump in progress starts now; a queued batch does not restart it.
        worker.startedAt = Self.now()
        worker.memoryCheckedAt = worker.startedAt
      }
      worker.inflight.append(contentsOf: batch)
      worker.chain = chain
      workers[slot] = worker
      return true
    }
    return false
  }

  private func spawn() throws -> Worker {
    var toChild: [Int32] = [-1, -1]
    var fromChild: [Int32] = [-1, -1]
    var errorsFromChild: [Int32] = [-1, -1]
    guard pipe(&toChild) == 0 else { throw Failure(description: "pipe: \(Self.errorText())") }
    guard pipe(&fromChild) == 0 else {
      close(toChild[0])
      close(toChild[1])
      throw Failure(description: "pipe: \(Self.errorText())")
    }
    guard pipe(&errorsFromChild) == 0 else {
      for fd in toChild + fromChild { close(fd) }
      throw Failure(description: "pipe: \(Self.errorText())")
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, toChild[0], STDIN_FILENO)
    posix_spawn_file_actions_adddup2(&actions, fromChild[1], STDOUT_FILENO)
    posix_spawn_file_actions_adddup2(&actions, errorsFromChild[1], STDERR_FILENO)
    // The worker must not hold the workspace lock, the database or other workers' pipes.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3)
    let argv = ([launch.name] + launch.arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let environment = Self.workerEnvironment().map { strdup($0) } + [nil]
    defer { for pointer in environment { free(pointer) } }
    let spawned = posix_spawn(&pid, launch.executable, &actions, nil, argv, environment)
    close(toChild[0])
    close(fromChild[1])
    close(errorsFromChild[1])
    guard spawned == 0 else {
      close(toChild[1])
      close(fromChild[0])
      close(errorsFromChild[0])
      throw Failure(
        description:
          "cannot start a worker (\(launch.executable)): \(String(cString: strerror(spawned)))")
    }
    _ = fcntl(toChild[1], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fromChild[0], F_SETFD, FD_CLOEXEC)
    // F_SETPIPE_SZ (1031, <linux/fcntl.h>): room for a few hundred results, so a worker keeps
    // working while the parent commits instead of blocking on a full 64 KiB pipe.
    _ = fcntl(fromChild[0], 1031, Int32(1 << 20))
    _ = fcntl(errorsFromChild[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(errorsFromChild[0], F_SETFL, fcntl(errorsFromChild[0], F_GETFL) | O_NONBLOCK)
    var worker = Worker(
      pid: pid, input: toChild[1], output: fromChild[0], errors: errorsFromChild[0])
    do {
      try FileDescriptorIO.writeAll(worker.input, try WireFormat.encode(.setup(setup)))
      // Setup opens the database and builds the stages; a worker that never answers is broken.
      var ready = pollfd(fd: worker.output, events: Int16(POLLIN), revents: 0)
      var waited = poll(&ready, 1, 60_000)
      while waited < 0 && errno == EINTR { waited = poll(&ready, 1, 60_000) }
      guard waited > 0 else {
        throw Failure(description: "a worker did not finish its setup within 60 s")
      }
      guard let frame = try FileDescriptorIO.readFrame(worker.output, into: &worker.buffer) else {
        throw Failure(description: "a worker ended during setup: \(reap(worker))")
      }
      switch try WireFormat.decodeReply(frame) {
      case .ready: break
      case .fatal(let message): throw Failure(description: message)
      case .result, .partial: throw Failure(description: "a worker answered before any work")
      }
    } catch {
      kill(worker.pid, SIGKILL)
      _ = reap(worker)
      throw error
    }
    _ = fcntl(worker.output, F_SETFL, fcntl(worker.output, F_GETFL) | O_NONBLOCK)
    return worker
  }

  // MARK: Waiting

  /// Waits up to a watchdog tick for replies, delivers them, and enforces the limits.
  private func wait(
    deliver: (WorkItem, [StageResult]) throws -> Void, requeue: (ArraySlice<WorkItem>) -> Void
  ) throws {
    var fds: [pollfd] = []
    var slots: [Int] = []
    for (slot, worker) in workers.enumerated() {
      guard let worker, !worker.inflight.isEmpty else { continue }
      fds.append(pollfd(fd: worker.output, events: Int16(POLLIN), revents: 0))
      fds.append(
        pollfd(fd: worker.errorsOpen ? worker.errors : -1, events: Int16(POLLIN), revents: 0))
      slots.append(slot)
    }
    if fds.isEmpty { return }
    let ready = poll(&fds, nfds_t(fds.count), 100)
    if ready < 0 && errno != EINTR { throw Failure(description: "poll: \(Self.errorText())") }
    for (index, slot) in slots.enumerated() {
      if fds[2 * index + 1].revents != 0 { readErrors(slot) }
      if fds[2 * index].revents != 0 { try drain(slot, deliver: deliver, requeue: requeue) }
    }
    let now = Self.now()
    for slot in slots {
      guard var worker = workers[slot], !worker.inflight.isEmpty else { continue }
      let seconds = now - worker.startedAt
      let doing = Self.verb(worker.stageName)
      var overLimit: String?
      if seconds > limits.dumpTimeoutSeconds {
        overLimit =
          "worker killed after \(Int(seconds)) s on this dump while \(doing) (limit: workers.dump_timeout_seconds = \(Self.format(limits.dumpTimeoutSeconds)))"
      } else if now - worker.memoryCheckedAt >= 0.2 {
        worker.memoryCheckedAt = now
        workers[slot] = worker
        if let resident = residentBytes(worker.pid), resident > limits.memoryLimitBytes {
          overLimit =
            "worker killed at \(resident >> 20) MiB of anonymous resident memory while \(doing) (limit: workers.memory_limit_mib = \(limits.memoryLimitMiB))"
        }
      }
      if let overLimit {
        // A result may be waiting unread (the parent was busy committing): read it before
        // blaming, and judge again only if the same dump is still in progress.
        try drain(slot, deliver: deliver, requeue: requeue)
        guard let again = workers[slot], again.inflight.first == worker.inflight.first,
          again.startedAt == worker.startedAt
        else { continue }
        kill(worker.pid, SIGKILL)
        try died(slot, reason: overLimit, deliver: deliver, requeue: requeue)
      }
    }
  }

  /// Reads what a worker wrote; delivers complete results; handles its end.
  private func drain(
    _ slot: Int, deliver: (WorkItem, [StageResult]) throws -> Void,
    requeue: (ArraySlice<WorkItem>) -> Void
  ) throws {
    guard var worker = workers[slot] else { return }
    var ended = false
    while true {
      let count = chunk.withUnsafeMutableBytes { raw in
        read(worker.output, raw.baseAddress, raw.count)
      }
      if count > 0 {
        chunk.withUnsafeBytes { raw in
          worker.buffer.append(UnsafeRawBufferPointer(rebasing: raw[..<count]))
        }
        continue
      }
      if count < 0 && errno == EINTR { continue }
      ended = count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
      break
    }
    do {
      while let frame = try worker.buffer.next() {
        switch try WireFormat.decodeReply(frame) {
        case .partial(let result):
          guard !worker.inflight.isEmpty, worker.partials.count + 1 < worker.chain.count else {
            throw WireFormat.Malformed(description: "a stage's result for no dump or stage")
          }
          worker.partials.append(result)
          // The time limit is per stage: the next one starts now.
          worker.startedAt = Self.now()
          workers[slot] = worker
        case .result(let result):
          guard let item = worker.inflight.popFirst() else {
            throw WireFormat.Malformed(description: "a result for no dump")
          }
          let results = worker.partials + [result]
          worker.partials.removeAll()
          worker.startedAt = Self.now()
          workers[slot] = worker
          deathsInARow = 0
          try deliver(item, results)
          try deliverHeld(deliver)
        case .fatal(let message):
          throw Failure(description: "a worker stopped: \(message)")
        case .ready:
          throw WireFormat.Malformed(description: "a second ready message")
        }
      }
    } catch let error as WireFormat.Malformed {
      // Garbage on the pipe: the worker is not trustworthy any more; blame the dump it was on.
      kill(worker.pid, SIGKILL)
      workers[slot] = worker
      try died(
        slot,
        reason: "worker sent a malformed result (\(error)) while \(Self.verb(worker.stageName))",
        deliver: deliver, requeue: requeue)
      return
    }
    workers[slot] = worker
    if ended {
      try died(slot, reason: nil, deliver: deliver, requeue: requeue)
    }
  }

  /// A worker is gone (or was killed): reap it, fail the dump it was on, hand back the rest.
  private func died(
    _ slot: Int, reason: String?, deliver: (WorkItem, [StageResult]) throws -> Void,
    requeue: (ArraySlice<WorkItem>) -> Void
  ) throws {
    guard var worker = workers[slot] else { return }
    workers[slot] = nil
    // What the worker printed last (the runtime's "Fatal error: …") says why it died.
    readErrors(slot, worker: &worker, wait: true)
    let how = reap(worker)
    let said = Self.lastWords(worker.errorTail)
    guard let item = worker.inflight.popFirst() else { return }
    deathsInARow += 1
    if deathsInARow > deathLimit {
      throw Failure(
        description:
          "\(deathsInARow) workers in a row died without finishing a dump (last: \(reason ?? "worker \(how)")); the run stopped: fix the cause and run again (the dumps they were on are redone)"
      )
    }
    let key = "\(worker.stageName):\(item.dumpSHA256)"
    if !worker.partials.isEmpty {
      // It died in a later stage of the dump's pass: the finished stages' results stand, and
      // the stage it died in is left pending for that stage's own pass, where a second death
      // on a fresh worker fails the dump (this one counts as the first).
      struck.insert(key)
      requeue(worker.inflight)
      logger.info(
        "dump \(item.dumpSHA256): worker \(how) while \(Self.verb(worker.stageName)); the stage is tried again in its own pass"
      )
      try deliver(item, worker.partials)
      return
    }
    if !struck.contains(key) {
      // First strike: the same dump goes first to a fresh worker.
      struck.insert(key)
      var again = [item]
      again.append(contentsOf: worker.inflight)
      requeue(again[...])
      logger.info("dump \(item.dumpSHA256): worker \(how); trying it once more on a fresh worker")
      return
    }
    requeue(worker.inflight)
    let store = Workspace(directory: setup.workspace).storeDirectory
    let stored = "\(store)/\(DumpStore.relativePath(sha256: item.dumpSHA256))"
    var why = reason ?? "worker \(how) while \(Self.verb(worker.stageName))"
    if let said { why += " (\(said))" }
    if reason == nil, said?.contains("failed to allocate") == true {
      why +=
        "; the worker's memory limit is \(limits.memoryLimitMiB) MiB (workers.memory_limit_mib)"
    }
    let message =
      "\(why), on two workers in a row; reproduce with \(Self.reproduce(worker.stageName)) \(stored)"
    logger.warning("dump \(item.dumpSHA256): \(message)")
    held.append((item, .failed(message)))
  }

  /// Closes a worker's pipes and waits for it; says how it ended.
  private func reap(_ worker: Worker) -> String {
    close(worker.input)
    close(worker.output)
    close(worker.errors)
    var status: Int32 = 0
    var result: pid_t
    repeat { result = waitpid(worker.pid, &status, 0) } while result < 0 && errno == EINTR
    guard result == worker.pid else { return "ended (status unknown)" }
    let signal = status & 0x7f
    if signal != 0 { return "killed by \(Self.signalName(signal))" }
    return "exited with status \((status >> 8) & 0xff)"
  }

  private func readErrors(_ slot: Int) {
    guard var worker = workers[slot] else { return }
    readErrors(slot, worker: &worker, wait: false)
    workers[slot] = worker
  }

  /// Keeps the last 4 KiB a worker wrote to standard error. With `wait`, reads until the pipe
  /// closes (the worker is dead or being killed), at most a second.
  private func readErrors(_ slot: Int, worker: inout Worker, wait: Bool) {
    let deadline = Self.now() + 1
    while true {
      let count = chunk.withUnsafeMutableBytes { raw in
        read(worker.errors, raw.baseAddress, raw.count)
      }
      if count > 0 {
        worker.errorTail.append(contentsOf: chunk[..<count])
        if worker.errorTail.count > 4096 {
          worker.errorTail.removeFirst(worker.errorTail.count - 4096)
        }
        continue
      }
      if count == 0 {
        worker.errorsOpen = false
        return
      }
      if count < 0 && errno == EINTR { continue }
      if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait && Self.now() < deadline {
        var fd = pollfd(fd: worker.errors, events: Int16(POLLIN), revents: 0)
        _ = poll(&fd, 1, 100)
        continue
      }
      return
    }
  }

  /// The line of a worker's last output that explains its end: the Swift runtime's fatal error
  /// if there is one, else the last non-empty line; nil when it said nothing.
  static func lastWords(_ tail: [UInt8]) -> String? {
    let lines = String(decoding: tail, as: UTF8.self).split(whereSeparator: \.isNewline)
      .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    let line = lines.last { $0.contains("Fatal error") } ?? lines.last
    return line.map { String($0.prefix(300)) }
  }

  /// The parent's environment, with Swift's crash backtracer off unless the user set it: a
  /// worker's death is reported as one line, and backtracing took a second per crash.
  static func workerEnvironment() -> [String] {
    var environment = ProcessInfo.processInfo.environment
    if environment["SWIFT_BACKTRACE"] == nil { environment["SWIFT_BACKTRACE"] = "enable=no" }
    return environment.map { "\($0.key)=\($0.value)" }.sorted()
  }

  /// The worker's anonymous resident memory (`RssAnon`): its heap, not the pages of dumps and
  /// PDBs it maps read-only, which the kernel can drop at any time.
  private func residentBytes(_ pid: pid_t) -> Int64? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") })
    else { return nil }
    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
    guard fields.count > 1, let kib = Int64(fields[1]) else { return nil }
    return kib.multipliedReportingOverflow(by: 1024).partialValue
  }

  // MARK: Words

  static func verb(_ stage: String) -> String {
    switch stage {
    case "parse": "parsing"
    case "symbolize": "symbolizing"
    case "bucket": "bucketing"
    default: "running \(stage)"
    }
  }

  static func reproduce(_ stage: String) -> String {
    stage == "parse" ? "crashsift analyze" : "crashsift explain"
  }

  static func signalName(_ signal: Int32) -> String {
    let names: [Int32: String] = [
      SIGILL: "SIGILL", SIGTRAP: "SIGTRAP", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS",
      SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV", SIGTERM: "SIGTERM",
      SIGXCPU: "SIGXCPU", SIGSYS: "SIGSYS",
    ]
    return names[signal] ?? "signal \(signal)"
  }

  static func format(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)"
  }

  static func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }

  static func errorText() -> String { String(cString: strerror(errno)) }
}
