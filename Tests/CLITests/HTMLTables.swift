import Foundation

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The tables of an XHTML-parseable page as rows of cell texts (th and td alike), so that tests
/// can check the numbers a page shows against the database.
final class HTMLTables: NSObject, XMLParserDelegate {
  private(set) var tables: [[[String]]] = []
  private var row: [String]?
  private var cell: String?

  /// Parses `html`; nil if it is not well-formed.
  static func parse(_ html: String) -> [[[String]]]? {
    let collector = HTMLTables()
    let parser = XMLParser(data: Data(html.utf8))
    parser.delegate = collector
    return parser.parse() ? collector.tables : nil
  }

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
    qualifiedName: String?, attributes: [String: String] = [:]
  ) {
    switch name {
    case "table": tables.append([])
    case "tr": row = []
    case "td", "th": cell = ""
    default: break
    }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    if cell != nil { cell? += string }
  }

  func parser(
    _ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?
  ) {
    switch name {
    case "td", "th":
      row?.append((cell ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
      cell = nil
    case "tr":
      if let row, !tables.isEmpty { tables[tables.count - 1].append(row) }
      row = nil
    default: break
    }
  }
}
