/// Where to pick a cycler file up again after the records a reader has handed out: the record
/// index, the text export's byte position (nil for binary files, which are reopened and sought
/// to `recordIndex`) and the normaliser's carried state. Codable, so that a source following a
/// growing file can store it beside its spool and survive a restart.
///
/// To resume a text export: `options.resumeFrom = token.text` (with `followGrowingFile` if it
/// is still written), `var reader = try CyclerFile.open(path:library:options:)`, then
/// `reader.restore(token.state)`; the next record is `token.recordIndex`.
public struct CyclerResumeToken: Sendable, Hashable, Codable {
    /// Index of the next record to read.
    public var recordIndex: Int
    /// For a text export, where the next record's line starts (`CyclerFile.Options.resumeFrom`).
    public var text: DelimitedTextSource.ResumePoint?
    /// What the normaliser carries into the next record (`CyclerRecordReader.restore`).
    public var state: NormaliserState

    public init(recordIndex: Int, text: DelimitedTextSource.ResumePoint?, state: NormaliserState) {
        self.recordIndex = recordIndex
        self.text = text
        self.state = state
    }
}
