import Foundation

/// A fixed set of threads that process items and stream results back to the calling thread.
///
/// The parsers and libarchive are blocking C-style code, so they run on plain threads rather
/// than on Swift's cooperative pool (whose width equals the core count and which must never
/// block). The calling thread is the single consumer — in the pipeline, the one SQLite writer.
/// The result queue is bounded, so fast workers wait for the writer instead of filling memory.
public enum WorkerPool {
  /// Raised inside `emit` once the consumer has stopped; workers should return.
  public struct Cancelled: Error {}

  /// Handed to each work call: `emit` sends a result to the consumer.
  public final class Context<Result: Sendable>: Sendable {
    fileprivate let queue: ResultQueue<Result>
    fileprivate init(queue: ResultQueue<Result>) { self.queue = queue }

    /// Sends one result; blocks while the queue is full; throws `Cancelled` after a consumer
    /// error.
    public func emit(_ result: Result) throws(Cancelled) { try queue.push(result) }

    /// Whether the consumer has stopped.
    public var isCancelled: Bool { queue.isCancelled }
  }

  /// Processes `items` on `jobs` threads; `consume` runs on the calling thread for each result.
  /// An error thrown by `consume` cancels the remaining work and is rethrown once every worker
  /// has returned.
  public static func run<Item: Sendable, Result: Sendable>(
    items: [Item], jobs: Int,
    work: @escaping @Sendable (Item, Context<Result>) -> Void,
    consume: (Result) throws -> Void
  ) throws {
    if items.isEmpty { return }
    let workers = max(1, min(jobs, items.count))
    let queue = ResultQueue<Result>(capacity: max(64, workers * 64), workers: workers)
    let context = Context(queue: queue)
    let shared = items
    for _ in 0..<workers {
      let thread = Thread {
        while let index = queue.nextIndex(limit: shared.count) {
          work(shared[index], context)
        }
        queue.workerFinished()
      }
      thread.stackSize = 8 << 20
      thread.start()
    }
    var failure: (any Error)?
    while let result = queue.pop() {
      if failure != nil { continue }
      do {
        try consume(result)
      } catch {
        failure = error
        queue.cancel()
      }
    }
    if let failure { throw failure }
  }
}

/// The bounded hand-off between workers and the consumer. Every field is guarded by `condition`,
/// which is why the class can be shared across threads.
final class ResultQueue<Result: Sendable>: @unchecked Sendable {
  private let condition = NSCondition()
  private var buffer: [Result] = []
  private var head = 0
  private let capacity: Int
  private var running: Int
  private var next = 0
  private var cancelled = false

  init(capacity: Int, workers: Int) {
    self.capacity = capacity
    running = workers
  }

  var isCancelled: Bool {
    condition.lock()
    defer { condition.unlock() }
    return cancelled
  }

  func nextIndex(limit: Int) -> Int? {
    condition.lock()
    defer { condition.unlock() }
    guard !cancelled, next < limit else { return nil }
    next += 1
    return next - 1
  }

  func push(_ result: Result) throws(WorkerPool.Cancelled) {
    condition.lock()
    defer { condition.unlock() }
    while buffer.count - head >= capacity && !cancelled { condition.wait() }
    if cancelled { throw WorkerPool.Cancelled() }
    buffer.append(result)
    condition.broadcast()
  }

  func pop() -> Result? {
    condition.lock()
    defer { condition.unlock() }
    while head == buffer.count && running > 0 { condition.wait() }
    guard head < buffer.count else { return nil }
    let result = buffer[head]
    head += 1
    if head > 1024 && head * 2 > buffer.count {
      buffer.removeFirst(head)
      head = 0
    }
    condition.broadcast()
    return result
  }

  func workerFinished() {
    condition.lock()
    running -= 1
    condition.broadcast()
    condition.unlock()
  }

  func cancel() {
    condition.lock()
    cancelled = true
    condition.broadcast()
    condition.unlock()
  }
}
