import Foundation
import Testing

@testable import Pipeline

@Suite("Worker pool")
struct WorkerPoolTests {
  @Test("every item is processed once and every result reaches the consumer", arguments: [1, 2, 7])
  func all(jobs: Int) throws {
    var results: [Int] = []
    try WorkerPool.run(items: Array(0..<1000), jobs: jobs) {
      (item, context: WorkerPool.Context<Int>) in
      try? context.emit(item * 2)
      try? context.emit(item * 2 + 1)
    } consume: {
      results.append($0)
    }
    #expect(results.sorted() == Array(0..<2000))
  }

  struct Stop: Error {}

  @Test("an error in the consumer cancels the rest and is rethrown")
  func cancel() {
    var consumed = 0
    #expect(throws: Stop.self) {
      try WorkerPool.run(items: Array(0..<10_000), jobs: 2) {
        (item, context: WorkerPool.Context<Int>) in
        try? context.emit(item)
      } consume: { _ in
        consumed += 1
        if consumed == 10 { throw Stop() }
      }
    }
    #expect(consumed == 10)
  }
}
