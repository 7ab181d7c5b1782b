import Logging
import PostgresNIO

extension SchemaMigrations {
    /// Applies the migrations once the database can be used, waiting for it meanwhile: it may
    /// start after us, or be fixed by a person (systemd would restart us anyway). Each new reason
    /// is said once as a sentence of what to check (`DatabaseProblem`), and again every five
    /// minutes while it lasts; the wait between attempts grows from 1 s to 30 s. Throws only
    /// when cancelled.
    public func applyWhenTheDatabaseAnswers(client: PostgresClient, database: DatabaseLocation?, logger: Logger) async throws {
        var delaySeconds = 1.0
        var said: (sentence: String, at: ContinuousClock.Instant)?
        while true {
            let problem: String
            if let database, let refusal = await DatabaseProblem.probe(database, logger: logger) {
                problem = refusal
            } else {
                do {
                    try await apply(client: client, logger: logger)
                    if said != nil { logger.notice("the database answers; schema migrated") }
                    return
                } catch {
                    try Task.checkCancellation()
                    problem = DatabaseProblem.sentence(for: error, database: database)
                }
            }
            if said?.sentence != problem || said!.at.duration(to: .now) > .seconds(300) {
                logger.error("\(problem); trying again every \(Int(delaySeconds)) to 30 s")
                said = (problem, .now)
            }
            try await Task.sleep(for: .milliseconds(Int64(delaySeconds * 1000)))
            delaySeconds = min(30, delaySeconds * 2)
        }
    }
}
