import CodeView

/// Crashpad's info stream (0x43500001): report and client ids and annotations.
public struct MinidumpCrashpadInfo: Sendable, Equatable {
  /// Annotations attached to one module.
  public struct ModuleInfo: Sendable, Equatable {
    public var moduleIndex: UInt32
    public var listAnnotations: [String]
    public var simpleAnnotations: [String: String]
    /// `(name, type, value bytes)`.
    public var annotationObjects: [AnnotationObject]
  }

  /// A typed Crashpad annotation.
  public struct AnnotationObject: Sendable, Equatable {
    public var name: String
    public var type: UInt16
    public var value: [UInt8]
  }

  public var version: UInt32
  public var reportID: MinidumpGUID
  public var clientID: MinidumpGUID
  public var simpleAnnotations: [String: String]
  public var modules: [ModuleInfo]
}
