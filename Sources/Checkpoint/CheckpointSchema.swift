import Foundation
import GRDB

/// The versioned schema of the workspace database.
///
/// Migrations are append-only: a released migration is never edited, a change is a new migration.
/// `ARCHITECTURE.md` documents every table; keep the two in step.
public enum CheckpointSchema {
  /// Registers every migration, oldest first.
  public static func migrator() -> DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1-foundation") { db in
      try db.execute(
        sql: """
          CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            command TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'killed')),
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            summary TEXT
          );

          -- One row per distinct archive content. Skipping by sha256 makes re-runs cheap and
          -- keeps a copied archive from being ingested twice.
          CREATE TABLE archives (
            sha256 TEXT PRIMARY KEY NOT NULL,
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime INTEGER NOT NULL,
            batch TEXT NOT NULL,
            build TEXT,
            status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
            error TEXT,
            entries INTEGER NOT NULL DEFAULT 0,
            dumps INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            formats TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
          ) WITHOUT ROWID;

          -- Every path the manifest named, with the stat that lets a re-run skip hashing it.
          CREATE TABLE archive_sources (
            path TEXT PRIMARY KEY NOT NULL,
            sha256 TEXT NOT NULL REFERENCES archives(sha256),
            size INTEGER NOT NULL,
            mtime INTEGER NOT NULL,
            batch TEXT NOT NULL
          ) WITHOUT ROWID;

          CREATE TABLE dumps (
            sha256 TEXT PRIMARY KEY NOT NULL,
            size INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('MDMP', 'PAGEDU64', 'PAGEDUMP', 'unknown'))
          ) WITHOUT ROWID;

          CREATE TABLE occurrences (
            archive_sha256 TEXT NOT NULL REFERENCES archives(sha256),
            entry_path TEXT NOT NULL,
            dump_sha256 TEXT NOT NULL REFERENCES dumps(sha256),
            batch TEXT NOT NULL,
            entry_mtime INTEGER,
            PRIMARY KEY (archive_sha256, entry_path)
          ) WITHOUT ROWID;
          CREATE INDEX occurrences_by_dump ON occurrences(dump_sha256);
          CREATE INDEX occurrences_by_batch ON occurrences(batch);

          -- Entries that were read but not stored, and why (links, devices, caps, bad data).
          CREATE TABLE archive_issues (
            archive_sha256 TEXT NOT NULL REFERENCES archives(sha256),
            entry_path TEXT NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (archive_sha256, entry_path)
          ) WITHOUT ROWID;

          CREATE TABLE stage_state (
            dump_sha256 TEXT NOT NULL REFERENCES dumps(sha256),
            stage TEXT NOT NULL,
            stage_version INTEGER NOT NULL,
            status TEXT NOT NULL
              CHECK (status IN ('pending', 'running', 'done', 'failed', 'deferred')),
            error TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (dump_sha256, stage)
          ) WITHOUT ROWID;
          CREATE INDEX stage_state_by_status ON stage_state(stage, status);
          """)
    }
    migrator.registerMigration("v2-parse") { db in
      try db.execute(
        sql: """
          -- Output of the parse stage: one row per parsed dump. Addresses are stored as the
          -- INTEGER with the same 64 bits (two's complement), so 0xffff… addresses survive.
          CREATE TABLE parsed_dumps (
            dump_sha256 TEXT PRIMARY KEY NOT NULL REFERENCES dumps(sha256),
            format TEXT NOT NULL,
            cpu TEXT,
            os TEXT,
            os_version TEXT,
            dump_time TEXT,
            process_id INTEGER,
            exception_code INTEGER,
            crash_reason TEXT,
            crash_address INTEGER,
            crashing_thread INTEGER,
            faulting_ip INTEGER,
            thread_count INTEGER NOT NULL,
            module_count INTEGER NOT NULL,
            problems TEXT
          ) WITHOUT ROWID;

          CREATE TABLE dump_modules (
            dump_sha256 TEXT NOT NULL REFERENCES dumps(sha256),
            idx INTEGER NOT NULL,
            base INTEGER NOT NULL,
            size INTEGER NOT NULL,
            name TEXT NOT NULL,
            version TEXT,
            code_id TEXT NOT NULL,
            debug_file TEXT,
            debug_id TEXT,
            PRIMARY KEY (dump_sha256, idx)
          ) WITHOUT ROWID;
          CREATE INDEX dump_modules_by_debug_id ON dump_modules(debug_id);
          """)
    }
    migrator.registerMigration("v3-kernel") { db in
      try db.execute(
        sql: """
          -- Kernel-dump facts beyond parsed_dumps: the bug check and where it points.
          CREATE TABLE kernel_dumps (
            dump_sha256 TEXT PRIMARY KEY NOT NULL REFERENCES dumps(sha256),
            dump_type INTEGER NOT NULL,
            machine TEXT NOT NULL,
            build INTEGER NOT NULL,
            bugcheck_code INTEGER NOT NULL,
            bugcheck_name TEXT,
            parameter1 INTEGER NOT NULL,
            parameter2 INTEGER NOT NULL,
            parameter3 INTEGER NOT NULL,
            parameter4 INTEGER NOT NULL,
            fault_ip INTEGER,
            fault_module TEXT,
            fault_offset INTEGER,
            process_name TEXT,
            kernel_base INTEGER
          ) WITHOUT ROWID;
          """)
    }
    migrator.registerMigration("v4-symbolize") { db in
      try db.execute(
        sql: """
          -- Output of the symbolize stage: named frames of each dump. Frame 0 is the crash
          -- address (minidump exception IP, kernel FAULTING_IP); stack frames follow once the
          -- unwinder lands. `missing` says why a frame has no function; `inlines` is a JSON array
          -- of "name [file : line]", innermost first.
          CREATE TABLE symbolized_frames (
            dump_sha256 TEXT NOT NULL REFERENCES dumps(sha256),
            frame INTEGER NOT NULL,
            address INTEGER NOT NULL,
            module TEXT,
            module_offset INTEGER,
            function TEXT,
            function_offset INTEGER,
            file TEXT,
            line INTEGER,
            inlines TEXT,
            missing TEXT,
            PRIMARY KEY (dump_sha256, frame)
          ) WITHOUT ROWID;
          """)
    }
    migrator.registerMigration("v5-stacks") { db in
      try db.execute(
        sql: """
          -- The unwinder's output: symbolized_frames now holds the crashing thread's walked stack
          -- (frame 0 = the context), each frame with its stack pointer, how it was found (context,
          -- trap, cfi, prologue, frame_pointer, scan), and the line offset breakpad prints.
          ALTER TABLE symbolized_frames ADD COLUMN stack_pointer INTEGER;
          ALTER TABLE symbolized_frames ADD COLUMN trust TEXT;
          ALTER TABLE symbolized_frames ADD COLUMN line_offset INTEGER;
          -- One row per walked thread: how the walk ended, so a cut stack is never mistaken for
          -- a complete one.
          CREATE TABLE stack_walks (
            dump_sha256 TEXT PRIMARY KEY REFERENCES dumps(sha256),
            thread_id INTEGER,
            frame_count INTEGER NOT NULL,
            stop_reason TEXT NOT NULL,
            truncated INTEGER NOT NULL,
            missing_symbols TEXT
          ) WITHOUT ROWID;
          """)
    }
    migrator.registerMigration("v6-threads") { db in
      try db.execute(
        sql: """
          -- Every other thread of a minidump, walked when the pipeline sets symbolize.all_threads.
          CREATE TABLE thread_frames (
            dump_sha256 TEXT NOT NULL REFERENCES dumps(sha256),
            thread_id INTEGER NOT NULL,
            frame INTEGER NOT NULL,
            address INTEGER NOT NULL,
            stack_pointer INTEGER NOT NULL,
            trust TEXT NOT NULL,
            module TEXT,
            module_offset INTEGER,
            function TEXT,
            function_offset INTEGER,
            file TEXT,
            line INTEGER,
            PRIMARY KEY (dump_sha256, thread_id, frame)
          ) WITHOUT ROWID;
          """)
    }
    migrator.registerMigration("v7-buckets") { db in
      try db.execute(
        sql: """
          -- Output of the bucket stage: WinDbg's bucket fields and their parts, the followup frame,
          -- the frames skipped on the way (JSON: frame, symbol, reason) and the rules version.
          CREATE TABLE buckets (
            dump_sha256 TEXT PRIMARY KEY REFERENCES dumps(sha256),
            mode TEXT NOT NULL,
            code TEXT NOT NULL,
            subtype TEXT,
            prefix TEXT NOT NULL,
            followup_frame INTEGER,
            symbol_name TEXT NOT NULL,
            module_name TEXT NOT NULL,
            image_name TEXT NOT NULL,
            function TEXT,
            function_offset TEXT NOT NULL,
            failure_bucket_id TEXT NOT NULL,
            failure_id_hash TEXT NOT NULL,
            symbolized INTEGER NOT NULL,
            trust TEXT,
            skipped TEXT NOT NULL,
            rules_version TEXT NOT NULL,
            socorro_signature TEXT,
            image_timestamp TEXT,
            image_version TEXT,
            process_name TEXT
          ) WITHOUT ROWID;
          CREATE INDEX buckets_by_id ON buckets(failure_bucket_id);
          """)
    }
    migrator.registerMigration("v8-symbol-lookups") { db in
      try db.execute(
        sql: """
          -- Output of the symbolize stage: each module lookup of a dump's crashing stack, found
          -- or not, what answered (the file read, the server it came from) or why nothing did.
          -- `blocking` marks the lookup a deferred dump waits for: a later run asks each such
          -- lookup once and redoes only the dumps whose lookup now finds a table.
          CREATE TABLE symbol_lookups (
            dump_sha256 TEXT NOT NULL REFERENCES dumps(sha256),
            lookup TEXT NOT NULL,
            module TEXT,
            found INTEGER NOT NULL,
            answer TEXT NOT NULL,
            blocking INTEGER NOT NULL,
            PRIMARY KEY (dump_sha256, lookup)
          ) WITHOUT ROWID;
          CREATE INDEX symbol_lookups_waiting ON symbol_lookups(lookup) WHERE blocking = 1;
          """)
    }
    migrator.registerMigration("v9-kernel-processes") { db in
      try db.execute(
        sql: """
          -- Output of the parse stage for kernel and full memory dumps (not triage dumps): every
          -- process from PsActiveProcessHead and each process's threads, in list order, with
          -- offsets from the dump's KDDEBUGGER_DATA64 and the table of public builds. A field the
          -- layout or the dump cannot give is NULL; `kernel_dumps.process_list` says whether the
          -- walk reached its end ('complete') or why not.
          ALTER TABLE kernel_dumps ADD COLUMN process_list TEXT;
          CREATE TABLE kernel_processes (
            dump_sha256 TEXT NOT NULL REFERENCES dumps(sha256),
            idx INTEGER NOT NULL,
            address INTEGER NOT NULL,
            process_id INTEGER,
            parent_process_id INTEGER,
            image_name TEXT,
            create_time INTEGER,
            directory_table_base INTEGER,
            peb INTEGER,
            object_table INTEGER,
            thread_problem TEXT,
            PRIMARY KEY (dump_sha256, idx)
          ) WITHOUT ROWID;
          CREATE TABLE kernel_threads (
            dump_sha256 TEXT NOT NULL REFERENCES dumps(sha256),
            process_idx INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            address INTEGER NOT NULL,
            thread_id INTEGER,
            state INTEGER,
            wait_reason INTEGER,
            wait_mode INTEGER,
            priority INTEGER,
            teb INTEGER,
            win32_start_address INTEGER,
            kernel_stack INTEGER,
            PRIMARY KEY (dump_sha256, process_idx, idx)
          ) WITHOUT ROWID;
          """)
    }
    migrator.registerMigration("v10-merged-shards") { db in
      try db.execute(
        sql: """
          -- Shard workspaces `crashsift merge` brought into this workspace (docs/cluster.md), by
          -- the digest of the shard database's rows: merging the same shard again changes
          -- nothing; a shard re-run after a merge has a new digest and merges again, converging
          -- to the same rows.
          CREATE TABLE merged_shards (
            digest TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            plan_digest TEXT NOT NULL,
            shard_index INTEGER NOT NULL,
            shard_count INTEGER NOT NULL,
            dumps INTEGER NOT NULL,
            stage_rows INTEGER NOT NULL,
            release TEXT NOT NULL,
            commit_id TEXT NOT NULL,
            merged_at TEXT NOT NULL
          ) WITHOUT ROWID;
          """)
    }
    migrator.registerMigration("v11-process-sessions") { db in
      try db.execute(
        sql: """
          -- Parse stage 4: each process's EPROCESS.Session (0 outside every session, WinDbg's
          -- `SessionId: none`) and the session's id; NULL where the layout or the dump cannot
          -- give them. Older rows stay NULL until the parse stage redoes them.
          ALTER TABLE kernel_processes ADD COLUMN session INTEGER;
          ALTER TABLE kernel_processes ADD COLUMN session_id INTEGER;
          """)
    }
    migrator.registerMigration("v12-process-handle-counts") { db in
      try db.execute(
        sql: """
          -- Parse stage 5: each process's handle count (WinDbg's HandleCount), or why it could
          -- not be read. Older rows stay NULL until the parse stage redoes them.
          ALTER TABLE kernel_processes ADD COLUMN handle_count INTEGER;
          ALTER TABLE kernel_processes ADD COLUMN handle_count_problem TEXT;
          """)
    }
    migrator.registerMigration("v13-packed-frames") { db in
      try packFrames(db)
    }
    return migrator
  }

  /// Migration v13: a walk's frames become one row (`PackedFrame`), in `crash_stacks` and
  /// `thread_stacks`; `symbolized_frames` and `thread_frames` become views with the old tables'
  /// columns, in the same order and with the same values, so SQL written against them (reports,
  /// users' queries) reads as before. Symbolize wrote ~11 frame rows per dump through the single
  /// writer; one row per walk halves the rows a dump costs. Existing rows are packed here, so no
  /// stage re-runs.
  static func packFrames(_ db: Database) throws {
    try db.execute(
      sql: """
        -- The crashing thread's walked stack (frame 0 = the context), or the bug check's
        -- faulting IP alone: `frames` is a JSON array of frames, each an array of fields by
        -- position (PackedFrame.Field): address, stack_pointer, trust, module, module_offset,
        -- function, function_offset, file, line, line_offset, missing, inlines.
        -- Rowid tables, unlike the per-frame ones: a walk's row is about 1 KB, past what a
        -- WITHOUT ROWID row keeps on its 4 KB page, and each row then took an overflow page of
        -- its own (the database grew by 20% at 10,000 dumps instead of shrinking).
        CREATE TABLE crash_stacks (
          dump_sha256 TEXT PRIMARY KEY REFERENCES dumps(sha256),
          frames TEXT NOT NULL
        );
        -- Every other thread of a minidump (symbolize.all_threads), the same frame arrays.
        CREATE TABLE thread_stacks (
          dump_sha256 TEXT NOT NULL REFERENCES dumps(sha256),
          thread_id INTEGER NOT NULL,
          frames TEXT NOT NULL,
          PRIMARY KEY (dump_sha256, thread_id)
        );
        """)
    // Packed in Swift, not with json_group_array: the aggregate's element order is not
    // guaranteed, and PackedFrame.pack writes exactly what the symbolize stage now writes.
    let insertCrash = try db.makeStatement(
      sql: "INSERT INTO crash_stacks (dump_sha256, frames) VALUES (?, ?)")
    var dump: String?
    var list: [PackedFrame] = []
    let frames = try Row.fetchCursor(
      db, sql: "SELECT * FROM symbolized_frames ORDER BY dump_sha256, frame")
    while let row = try frames.next() {
      let sha = try v12Key(row, "dump_sha256", as: String.self)
      if let dump, dump != sha {
        try insertCrash.execute(arguments: [dump, PackedFrame.pack(list)])
        list.removeAll(keepingCapacity: true)
      }
      dump = sha
      list.append(try v12Frame(row))
    }
    if let dump { try insertCrash.execute(arguments: [dump, PackedFrame.pack(list)]) }
    let insertThread = try db.makeStatement(
      sql: "INSERT INTO thread_stacks (dump_sha256, thread_id, frames) VALUES (?, ?, ?)")
    var thread: (dump: String, id: Int64)?
    list.removeAll()
    let threads = try Row.fetchCursor(
      db, sql: "SELECT * FROM thread_frames ORDER BY dump_sha256, thread_id, frame")
    while let row = try threads.next() {
      let key = (
        dump: try v12Key(row, "dump_sha256", as: String.self),
        id: try v12Key(row, "thread_id", as: Int64.self)
      )
      if let thread, thread != key {
        try insertThread.execute(arguments: [thread.dump, thread.id, PackedFrame.pack(list)])
        list.removeAll(keepingCapacity: true)
      }
      thread = key
      list.append(try v12Frame(row))
    }
    if let thread {
      try insertThread.execute(arguments: [thread.dump, thread.id, PackedFrame.pack(list)])
    }
    func field(_ field: PackedFrame.Field) -> String {
      "json_extract(f.value, '$[\(field.rawValue)]')"
    }
    try db.execute(
      sql: """
        DROP TABLE symbolized_frames;
        DROP TABLE thread_frames;
        -- One row per frame of crash_stacks, the columns of the v4/v5 table.
        CREATE VIEW symbolized_frames AS
          SELECT s.dump_sha256 AS dump_sha256, f.key AS frame,
            \(field(.address)) AS address, \(field(.module)) AS module,
            \(field(.moduleOffset)) AS module_offset, \(field(.function)) AS function,
            \(field(.functionOffset)) AS function_offset, \(field(.file)) AS file,
            \(field(.line)) AS line, \(field(.inlines)) AS inlines,
            \(field(.missing)) AS missing, \(field(.stackPointer)) AS stack_pointer,
            \(field(.trust)) AS trust, \(field(.lineOffset)) AS line_offset
          FROM crash_stacks s, json_each(s.frames) f;
        -- One row per frame of thread_stacks, the columns of the v6 table.
        CREATE VIEW thread_frames AS
          SELECT s.dump_sha256 AS dump_sha256, s.thread_id AS thread_id, f.key AS frame,
            \(field(.address)) AS address, \(field(.stackPointer)) AS stack_pointer,
            \(field(.trust)) AS trust, \(field(.module)) AS module,
            \(field(.moduleOffset)) AS module_offset, \(field(.function)) AS function,
            \(field(.functionOffset)) AS function_offset, \(field(.file)) AS file,
            \(field(.line)) AS line
          FROM thread_stacks s, json_each(s.frames) f;
        """)
  }

  struct MalformedV12Row: Error, CustomStringConvertible {
    var column: String
    var description: String {
      "migration v13: a frame row whose \(column) is missing or not the type the v12 schema gave it"
    }
  }

  /// A key column of a v12 frame row; a row without it cannot be placed, and stops the migration
  /// with an error rather than GRDB's trap on a failed conversion.
  static func v12Key<Value: DatabaseValueConvertible>(
    _ row: Row, _ column: String, as type: Value.Type
  ) throws -> Value {
    guard let value = Value.fromDatabaseValue((row[column] as DatabaseValue?) ?? .null) else {
      throw MalformedV12Row(column: column)
    }
    return value
  }

  /// A v12 `symbolized_frames` or `thread_frames` row as a `PackedFrame` (the second lacks line
  /// offset, reason and inlines: they read as absent). A value of another type than its column's
  /// reads as NULL; inlines that are not a JSON list of strings are dropped.
  static func v12Frame(_ row: Row) throws -> PackedFrame {
    func value<Value: DatabaseValueConvertible>(_ column: String) -> Value? {
      Value.fromDatabaseValue((row[column] as DatabaseValue?) ?? .null)
    }
    let inlines = (value("inlines") as String?).flatMap {
      try? JSONDecoder().decode([String].self, from: Data($0.utf8))
    }
    return PackedFrame(
      address: try v12Key(row, "address", as: Int64.self), stackPointer: value("stack_pointer"),
      trust: value("trust"), module: value("module"), moduleOffset: value("module_offset"),
      function: value("function"), functionOffset: value("function_offset"), file: value("file"),
      line: value("line"), lineOffset: value("line_offset"), missing: value("missing"),
      inlines: inlines ?? [])
  }
}
