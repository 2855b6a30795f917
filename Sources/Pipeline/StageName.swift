/// The stages a user can run by name, in pipeline order. Stages not built yet are absent.
public enum StageName: String, Sendable, CaseIterable {
  case ingest
}
