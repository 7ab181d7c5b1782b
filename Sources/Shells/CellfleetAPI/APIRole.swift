/// What a token lets its holder do. The roles are ordered: each may do what the one below it
/// may, so a route names the least role it needs.
public enum APIRole: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Reads the fleet, tests and alerts.
    case viewer
    /// Also acknowledges and resolves alerts (and, later, confirms loads): people at the bench.
    case `operator`
    /// Everything.
    case admin

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (lhs: APIRole, rhs: APIRole) -> Bool { lhs.rank < rhs.rank }
}

/// Who a request speaks for: a token's name and role, or the demo's anonymous caller with
/// `--insecure-http`.
public struct APICaller: Sendable, Hashable {
    /// The token's name: `acknowledged_by` / `resolved_by` of what the caller changes, and the
    /// audit log's actor.
    public var name: String
    public var role: APIRole

    public init(name: String, role: APIRole) {
        self.name = name
        self.role = role
    }
}
